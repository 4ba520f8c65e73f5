//! The XPM API's envelope: XML or JSON by the call's headers, OK and ERROR
//! answers, and request bodies read into a [`Doc`]. Every endpoint module
//! uses it; it uses none of them.

use crate::doc::Doc;
use crate::shared::Shared;
use crate::xml::XmlOut;
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// How to answer one call: XML or JSON, and the `api-method` name.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub json: bool,
    pub method: &'static str,
}

fn wants_json(headers: &HeaderMap) -> bool {
    let get = |h| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let accept = get(header::ACCEPT);
    if accept.contains("application/json") {
        return true;
    }
    if accept.contains("xml") {
        return false;
    }
    get(header::CONTENT_TYPE).contains("json")
}

fn body_is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

impl Answer {
    pub fn new(headers: &HeaderMap, method: &'static str) -> Self {
        Self {
            json: wants_json(headers),
            method,
        }
    }

    /// An OK answer: `xml` writes the payload elements, `json` adds the payload properties.
    pub fn ok(
        self,
        xml: impl FnOnce(&mut XmlOut),
        json: impl FnOnce(&mut Map<String, Value>),
    ) -> Response {
        if self.json {
            let mut m = Map::new();
            m.insert("status".into(), "OK".into());
            json(&mut m);
            (StatusCode::OK, axum::Json(Value::Object(m))).into_response()
        } else {
            let mut out = XmlOut::new();
            out.open_attr("Response", "api-method", self.method);
            out.el("Status", "OK");
            xml(&mut out);
            out.close("Response");
            xml_response(StatusCode::OK, out.finish())
        }
    }

    /// An ERROR answer, at the configured status.
    pub fn error(self, sh: &Shared, msg: &str) -> Response {
        let status = StatusCode::from_u16(sh.config.error_status).unwrap_or(StatusCode::OK);
        self.error_at(status, msg)
    }

    /// An ERROR answer at a given status.
    pub fn error_at(self, status: StatusCode, msg: &str) -> Response {
        if self.json {
            let body = serde_json::json!({ "status": "ERROR", "errorDescription": msg });
            (status, axum::Json(body)).into_response()
        } else {
            let mut out = XmlOut::new();
            out.open("Response");
            out.el("Status", "ERROR");
            out.el("ErrorDescription", msg);
            out.close("Response");
            xml_response(status, out.finish())
        }
    }
}

fn xml_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    resp
}

/// Reads a request body as XML with the given root element, or as JSON.
pub fn read_doc(headers: &HeaderMap, body: &Bytes, root: &str) -> Result<Doc, String> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Err("The request body is not valid UTF-8".into());
    };
    if text.trim().is_empty() {
        return Err("The request body is empty".into());
    }
    if body_is_json(headers) {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("Invalid JSON: {e}"))?;
        return Doc::from_json(&v);
    }
    let el = crate::xml::parse(text)?;
    if el.name != root {
        return Err(format!("Invalid XML: the root element must be <{root}>"));
    }
    Ok(Doc::from_xml(&el))
}
