//! Results: one markdown table per section, and the same figures as JSON,
//! written to `target/bench/`.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub title: String,
    pub notes: Vec<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The raw figures.
    pub data: Value,
}

impl Section {
    pub fn new(title: &str, header: &[&str]) -> Self {
        Self {
            title: title.to_owned(),
            notes: Vec::new(),
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            data: Value::Null,
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn markdown(&self) -> String {
        let mut out = format!("## {}\n\n", self.title);
        out.push_str(&format!("| {} |\n", self.header.join(" | ")));
        out.push_str(&format!(
            "|{}\n",
            self.header.iter().map(|_| "---|").collect::<String>()
        ));
        for row in &self.rows {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        for note in &self.notes {
            out.push_str(&format!("\n{note}\n"));
        }
        out.push('\n');
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub started: String,
    pub command: String,
    pub machine: Value,
    pub sections: Vec<Section>,
}

impl Report {
    pub fn new(command: String) -> Self {
        Self {
            started: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            command,
            machine: machine(),
            sections: Vec::new(),
        }
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# pmhub-xpm benchmarks\n\nStarted {} with `{}`.\n\nMachine: {}\n\n",
            self.started, self.command, self.machine
        );
        for s in &self.sections {
            out.push_str(&s.markdown());
        }
        out
    }

    /// Writes `name.md` and `name.json` under `dir`.
    pub fn write(&self, dir: &Path, name: &str) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(format!("{name}.md")), self.markdown())?;
        std::fs::write(
            dir.join(format!("{name}.json")),
            serde_json::to_string_pretty(self)?,
        )?;
        Ok(())
    }
}

/// CPUs and the load average when the run starts.
pub fn machine() -> Value {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    serde_json::json!({
        "cpus": cpus,
        "loadavg": load.trim(),
    })
}

pub fn ms(d: std::time::Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// The q-quantile (0..=1) of sorted values.
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
