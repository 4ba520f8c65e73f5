//! Scenario 4: xpm-sim's speed on a get/add mix (4 gets of a client with
//! contacts and relationships, 1 client add), against generic mock servers
//! answering the same requests in the same run: a wiremock-rs server with
//! canned XML (the sim's own answers, captured first), and Prism mocking
//! the JSON form from the OpenAPI spec in `xpm-sim/spec/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};
use xpm_sim::seed::demo;
use xpm_sim::{ConnectRequest, LimitsConfig, Sim, SimConfig};

use crate::report::Section;

#[derive(Debug, Clone)]
pub struct SimSpeedOptions {
    pub workers: usize,
    pub duration: Duration,
    /// Prism's install folder (holding node_modules); skipped when absent.
    pub prism: Option<PathBuf>,
}

impl SimSpeedOptions {
    pub fn full(root: &Path) -> Self {
        Self {
            workers: 8,
            duration: Duration::from_secs(5),
            prism: Some(root.join("target/bench/prism")),
        }
    }

    pub fn tiny() -> Self {
        Self {
            workers: 1,
            duration: Duration::from_millis(200),
            prism: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Counts {
    pub gets: u64,
    pub adds: u64,
    pub errors: u64,
    pub requests_per_second: f64,
}

/// How to send the mix to one server.
#[derive(Debug, Clone)]
struct Target {
    base: String,
    json: bool,
    token: String,
}

impl Target {
    fn request(
        &self,
        http: &reqwest::Client,
        add: bool,
        w: usize,
        i: u64,
    ) -> reqwest::RequestBuilder {
        let req = if add {
            let r = http.post(format!("{}/client.api/add", self.base));
            if self.json {
                r.header("content-type", "application/json")
                    .header("accept", "application/json")
                    .body(
                        json!({"name": format!("Bench {w}-{i}"), "email": format!("b{w}.{i}@bench.test")})
                            .to_string(),
                    )
            } else {
                r.header("content-type", "application/xml").body(format!(
                    "<Client><Name>Bench {w}-{i}</Name><Email>b{w}.{i}@bench.test</Email></Client>"
                ))
            }
        } else {
            let r = http.get(format!("{}/client.api/get/{}", self.base, demo::ACME_UUID));
            if self.json {
                r.header("accept", "application/json")
            } else {
                r
            }
        };
        req.bearer_auth(&self.token)
            .header("xero-tenant-id", demo::TENANT_ID)
    }
}

async fn hammer(target: &Target, workers: usize, duration: Duration) -> Counts {
    let gets = Arc::new(AtomicU64::new(0));
    let adds = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let target = target.clone();
        let (gets, adds, errors) = (gets.clone(), adds.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = 0u64;
            while Instant::now() < deadline {
                i += 1;
                let add = i.is_multiple_of(5);
                let ok = match target.request(&http, add, w, i).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if add {
                    adds.fetch_add(1, Ordering::Relaxed);
                } else {
                    gets.fetch_add(1, Ordering::Relaxed);
                }
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let (g, a, e) = (
        gets.load(Ordering::Relaxed),
        adds.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
    );
    Counts {
        gets: g,
        adds: a,
        errors: e,
        requests_per_second: (g + a) as f64 / duration.as_secs_f64(),
    }
}

/// A started Prism, killed on drop.
struct Prism(std::process::Child);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_prism(dir: &Path, spec: &Path) -> anyhow::Result<(Prism, String)> {
    let cli = dir.join("node_modules/@stoplight/prism-cli/dist/index.js");
    if !cli.exists() {
        bail!(
            "Prism is not installed at {} (run `npm install @stoplight/prism-cli` in {})",
            cli.display(),
            dir.display()
        );
    }
    let port = crate::harness::free_addr()?.port();
    let log = std::fs::File::create(dir.join("prism.log"))?;
    let child = std::process::Command::new("node")
        .arg(&cli)
        .args([
            "mock",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--verboseLevel",
            "warn",
        ])
        .arg(spec)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting node (Prism)")?;
    let prism = Prism(child);
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok((prism, base));
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!(
                "Prism did not listen within 60 s (see {})",
                dir.join("prism.log").display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn run(opts: &SimSpeedOptions, root: &Path) -> anyhow::Result<Section> {
    let mut section = Section::new(
        "4. xpm-sim speed against generic mock servers (4 gets : 1 add)",
        &[
            "server",
            "form",
            "requests/s",
            "gets",
            "adds",
            "errors",
            "xpm-sim / this",
        ],
    );
    let sim = Sim::start(SimConfig {
        limits: LimitsConfig {
            enabled: false,
            ..LimitsConfig::default()
        },
        ..SimConfig::default()
    })
    .await?;
    let token = sim
        .control()
        .connect(&ConnectRequest {
            client_id: demo::CLIENT_ID.into(),
            user_email: demo::ADMIN_EMAIL.into(),
            tenants: vec![],
            scopes: vec![],
        })
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        .access_token;
    let sim_target = Target {
        base: sim.xpm_base_url(),
        json: false,
        token: token.clone(),
    };

    // Canned answers: exactly what the sim answers to the same requests.
    let http = reqwest::Client::new();
    let get_xml = sim_target
        .request(&http, false, 0, 0)
        .send()
        .await?
        .text()
        .await?;
    let add_xml = sim_target
        .request(&http, true, 999, 0)
        .send()
        .await?
        .text()
        .await?;
    let mock = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(method("GET"))
        .and(path_regex(
            r"^/practicemanager/3\.1/client\.api/get/[0-9a-f-]+$",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/xml; charset=utf-8")
                .set_body_string(get_xml),
        )
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/practicemanager/3.1/client.api/add"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/xml; charset=utf-8")
                .set_body_string(add_xml),
        )
        .mount(&mock)
        .await;
    let mock_target = Target {
        base: format!("{}/practicemanager/3.1", mock.uri()),
        json: false,
        token: token.clone(),
    };

    let sim_counts = hammer(&sim_target, opts.workers, opts.duration).await;
    let mock_counts = hammer(&mock_target, opts.workers, opts.duration).await;
    let ratio = |c: &Counts| {
        if c.requests_per_second > 0.0 {
            format!(
                "{:.2}",
                sim_counts.requests_per_second / c.requests_per_second
            )
        } else {
            "-".into()
        }
    };
    let mut rows = vec![
        ("xpm-sim (in process, limits off)", "XML", sim_counts),
        (
            "wiremock-rs 0.6 (canned XML, recording off)",
            "XML",
            mock_counts,
        ),
    ];
    let mut prism_data = json!(null);
    match &opts.prism {
        Some(dir) => {
            let spec = root.join("xpm-sim/spec/xero-practicemanager-v3-1.yaml");
            match start_prism(dir, &spec).await {
                Ok((prism, base)) => {
                    let target = Target {
                        base,
                        json: true,
                        token: token.clone(),
                    };
                    // One request of each first: if Prism refuses them, say how.
                    let probe_get = target.request(&http, false, 0, 0).send().await?;
                    let get_status = probe_get.status();
                    let get_body = probe_get.text().await.unwrap_or_default();
                    let probe_add = target.request(&http, true, 0, 0).send().await?;
                    let add_status = probe_add.status();
                    let add_body = probe_add.text().await.unwrap_or_default();
                    prism_data = json!({
                        "probe_get": {"status": get_status.as_u16(), "body": truncate(&get_body)},
                        "probe_add": {"status": add_status.as_u16(), "body": truncate(&add_body)},
                    });
                    let counts = hammer(&target, opts.workers, opts.duration).await;
                    drop(prism);
                    rows.push((
                        "Prism 5 (@stoplight/prism-cli, `prism mock`, static examples, log level warn)",
                        "JSON",
                        counts,
                    ));
                }
                Err(e) => {
                    section.note(format!("Prism could not be run: {e:#}"));
                    prism_data = json!({"error": format!("{e:#}")});
                }
            }
        }
        None => section.note("Prism skipped (tiny run)."),
    }
    let mut data = Vec::new();
    for (name, form, c) in &rows {
        section.row(vec![
            (*name).to_owned(),
            (*form).to_owned(),
            format!("{:.0}", c.requests_per_second),
            c.gets.to_string(),
            c.adds.to_string(),
            c.errors.to_string(),
            ratio(c),
        ]);
        data.push(json!({"server": name, "form": form, "counts": c}));
    }
    section.note(format!(
        "{} workers, each with one keep-alive connection, sending back to back for {} s per \
         server, servers one after another in the same run; the load generator shares the 2 \
         cores with the server. The get is of a client with contacts and a relationship; \
         wiremock answers the sim's own XML for the same requests, captured first. Prism \
         answers example/generated JSON from the spec and validates each request against it.",
        opts.workers,
        opts.duration.as_secs_f64()
    ));
    section.data = json!({"rows": data, "prism": prism_data});
    sim.stop().await;
    Ok(section)
}

fn truncate(s: &str) -> String {
    s.chars().take(300).collect()
}
