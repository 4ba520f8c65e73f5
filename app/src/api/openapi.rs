//! What every route of the API shares, added to the generated document once
//! instead of on each handler: the bearer token, and the answers that come
//! from the extractors and layers rather than from the handler.

use axum::routing::MethodFilter;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

/// The media type of every error answer (RFC 9457).
const PROBLEM_JSON: &str = "application/problem+json";

pub struct Conventions;

impl utoipa::Modify for Conventions {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.description = Some("An API token from `pmhub-xpm create-api-token`".into());
        components.add_security_scheme("apiToken", SecurityScheme::Http(bearer));
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_shared_answers(operation);
            }
        }
    }
}

fn add_shared_answers(operation: &mut Operation) {
    let responses = &mut operation.responses.responses;
    // Errors are problem details, whatever the handler's attribute defaulted to.
    for (status, response) in responses.iter_mut() {
        if status.starts_with(['4', '5'])
            && let utoipa::openapi::RefOr::T(response) = response
            && let Some(content) = response.content.shift_remove("application/json")
        {
            response.content.insert(PROBLEM_JSON.into(), content);
        }
    }
    // `security(())` on a handler: answered to anyone, from memory.
    let public = operation.security.as_ref().is_some_and(|requirements| {
        requirements
            .iter()
            .all(|r| *r == SecurityRequirement::default())
    });
    let mut shared = Vec::new();
    if !public {
        shared.extend([
            ("401", "No or unknown API token"),
            (
                "503",
                "The database or XPM is unavailable (Retry-After when rate limited)",
            ),
        ]);
    }
    let has_query = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query));
    if has_query {
        shared.push((
            "400",
            "Malformed query: an unknown or badly typed parameter",
        ));
    }
    if operation.request_body.is_some() {
        shared.extend([
            (
                "400",
                "Malformed request: the body is not the JSON this route takes",
            ),
            ("413", "The body is larger than the server accepts"),
            ("415", "The body is not `Content-Type: application/json`"),
        ]);
    }
    for (status, description) in shared {
        responses.entry(status.into()).or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
                .into()
        });
    }
}

/// The axum method filter for a method the document names.
pub fn method_filter(method: HttpMethod) -> MethodFilter {
    match method {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Put => MethodFilter::PUT,
        HttpMethod::Delete => MethodFilter::DELETE,
        HttpMethod::Patch => MethodFilter::PATCH,
        HttpMethod::Head => MethodFilter::HEAD,
        HttpMethod::Options => MethodFilter::OPTIONS,
        HttpMethod::Trace => MethodFilter::TRACE,
    }
}
