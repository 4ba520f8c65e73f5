//! Workspace-level tests live in `tests/tests/`: rule properties, snapshots,
//! end-to-end and browser tests, driven through the real adapters against
//! xpm-sim. This library holds what those tests share.
