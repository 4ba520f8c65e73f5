//! The OpenAPI document is generated from the handlers; this snapshot shows
//! every change to it in review, so a change to the API's contract is never
//! silent.

use serde_json::Value;

#[test]
fn the_generated_openapi_document_is_reviewed_in_a_snapshot() {
    let document: Value =
        serde_json::from_str(pmhub_xpm::api::openapi_json()).expect("the document is JSON");
    insta::assert_json_snapshot!("openapi", document);
}

#[test]
fn every_error_answer_is_a_problem_document_and_a_401_is_documented_where_a_token_is_needed() {
    let document: Value =
        serde_json::from_str(pmhub_xpm::api::openapi_json()).expect("the document is JSON");
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            operations += 1;
            let responses = operation["responses"].as_object().expect("responses");
            let public = operation.get("security") == Some(&serde_json::json!([{}]));
            assert_eq!(
                responses.contains_key("401"),
                !public,
                "{method} {path}: a 401 exactly where a token is needed"
            );
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: no {status}"
                    );
                }
            }
            for (status, response) in responses {
                if status.starts_with(['4', '5']) {
                    let content = response["content"].as_object().expect("content");
                    assert_eq!(
                        content.keys().collect::<Vec<_>>(),
                        ["application/problem+json"],
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    assert_eq!(operations, 35, "the API's 35 operations are documented");
}
