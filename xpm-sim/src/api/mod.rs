//! The XPM API v3.1 (`/practicemanager/3.1/...`): clients, relationships and custom fields,
//! in XML (default) or JSON (when `Accept` or `Content-Type` asks for it).

pub mod auth;
pub mod clients;
pub mod contacts;
pub mod custom_fields;
pub mod paging;
pub mod relationships;
pub mod render;
pub mod wire;

use crate::shared::Shared;
use axum::Router;
use axum::routing::{get, post, put};
use std::sync::Arc;

pub fn router() -> Router<Arc<Shared>> {
    let base = "/practicemanager/3.1/client.api";
    Router::new()
        .route(&format!("{base}/list"), get(clients::list))
        .route(&format!("{base}/search"), get(clients::search))
        .route(&format!("{base}/paged-list"), get(clients::paged_list))
        .route(&format!("{base}/get/{{uuid}}"), get(clients::get))
        .route(&format!("{base}/add"), post(clients::add))
        .route(&format!("{base}/update"), put(clients::update))
        .route(&format!("{base}/archive"), put(clients::archive))
        .route(&format!("{base}/delete"), post(clients::delete))
        .route(&format!("{base}/contacts"), get(contacts::list))
        .route(&format!("{base}/contact"), post(contacts::create))
        .route(
            &format!("{base}/contact/{{id}}"),
            get(contacts::get)
                .put(contacts::update)
                .delete(contacts::delete),
        )
        .route(
            &format!("{base}/client/{{uuid}}/contacts"),
            post(contacts::link),
        )
        .route(&format!("{base}/addrelationship"), post(relationships::add))
        // The spec says PUT, the reference's table POST: both are served.
        .route(
            &format!("{base}/updaterelationship"),
            put(relationships::update).post(relationships::update),
        )
        .route(
            &format!("{base}/deleterelationship"),
            post(relationships::delete),
        )
        .merge(custom_fields::router())
}
