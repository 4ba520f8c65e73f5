//! CI: every benchmark scenario builds and runs at size 1, in a few seconds.
//! No timing is asserted; the scenarios themselves fail on a sync that does
//! not complete. Needs PostgreSQL like the other store tests; never Prism.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_at_size_one() {
    let report = pmhub_benches::run(&pmhub_benches::Plan::tiny(), "tiny test".into())
        .await
        .expect("every scenario runs");
    assert_eq!(report.sections.len(), 4);
    for section in &report.sections {
        assert!(!section.rows.is_empty(), "{} has rows", section.title);
    }
    let dir = std::env::temp_dir().join(format!("pmhub-bench-{}", std::process::id()));
    report.write(&dir, "tiny").expect("report written");
    let _ = std::fs::remove_dir_all(dir);
}
