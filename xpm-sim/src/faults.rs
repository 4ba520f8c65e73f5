//! Fault rules: for calls matching method, path and tenant, answer with an
//! error status, add latency, close the connection before answering, or
//! commit the write and then drop the connection (the ambiguous write).

use serde::{Deserialize, Serialize};

/// What a matching rule does.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Answer with this status (and body) without running the call.
    Status {
        status: u16,
        #[serde(default)]
        body: Option<String>,
        /// Adds a `Retry-After` header.
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Wait this long (real time) before running the call.
    Latency { ms: u64 },
    /// Close the connection without running the call or answering.
    CloseBeforeAnswer,
    /// Run the call (its write is kept), then close the connection without answering.
    CommitThenDrop,
}

/// Which calls a rule applies to, what it does and how often.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FaultSpec {
    /// HTTP method; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// Exact path, or a prefix when it ends in `*`; any when absent.
    #[serde(default)]
    pub path: Option<String>,
    /// The `xero-tenant-id` sent; any when absent.
    #[serde(default)]
    pub tenant: Option<String>,
    pub action: FaultAction,
    /// Fire this many times, then stay inactive; forever when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

/// A rule in force.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FaultRule {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    pub fired: u32,
}

impl FaultRule {
    pub fn active(&self) -> bool {
        self.spec.times.is_none_or(|n| self.fired < n)
    }

    pub fn matches(&self, method: &str, path: &str, tenant: Option<&str>) -> bool {
        let s = &self.spec;
        s.method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && s.path.as_ref().is_none_or(|p| match p.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => p == path,
            })
            && s.tenant
                .as_ref()
                .is_none_or(|t| tenant.is_some_and(|h| h.eq_ignore_ascii_case(t)))
    }
}

/// Finds the first active matching rule, counts it as fired and returns it.
pub fn take(
    rules: &mut [FaultRule],
    method: &str,
    path: &str,
    tenant: Option<&str>,
) -> Option<(u64, FaultAction)> {
    let rule = rules
        .iter_mut()
        .find(|r| r.active() && r.matches(method, path, tenant))?;
    rule.fired += 1;
    Some((rule.id, rule.spec.action.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_n_times_then_stops() {
        let mut rules = vec![FaultRule {
            id: 1,
            spec: FaultSpec {
                method: Some("POST".into()),
                path: Some("/practicemanager/3.1/client.api/*".into()),
                tenant: None,
                action: FaultAction::CloseBeforeAnswer,
                times: Some(2),
            },
            fired: 0,
        }];
        let p = "/practicemanager/3.1/client.api/add";
        assert!(take(&mut rules, "GET", p, None).is_none());
        assert!(take(&mut rules, "post", p, None).is_some());
        assert!(take(&mut rules, "POST", p, Some("x")).is_some());
        assert!(take(&mut rules, "POST", p, None).is_none());
    }
}
