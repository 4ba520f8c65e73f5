//! The cassette file: NDJSON, one JSON object a line. The first line is a
//! [`Header`], every further line one [`Exchange`]. One line per exchange
//! means a recorder that is killed loses at most the exchange it was
//! writing, and a person can read or `grep` the file.
//!
//! Everything in a cassette has been redacted before it was written (see
//! [`super::redact`]); nothing here ever holds a live secret.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// The `format` value of every cassette's first line.
pub const FORMAT: &str = "xpm-sim-cassette";
/// The version this code writes and reads.
pub const VERSION: u32 = 1;

/// The first line of a cassette.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// Where the recorder sent requests by default (`https://api.xero.com`, a sim's base).
    pub upstream: String,
    /// Path prefixes sent elsewhere (e.g. `/connect/` to `https://identity.xero.com`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub routes: BTreeMap<String, String>,
    /// RFC 3339, when recording began.
    pub recorded_at: String,
}

impl Header {
    pub fn new(upstream: &str, routes: BTreeMap<String, String>) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            upstream: upstream.into(),
            routes,
            recorded_at: now_rfc3339(),
        }
    }
}

/// A body as recorded: text when it is UTF-8 (XPM's XML and JSON, forms,
/// HTML), base64 otherwise so that nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Body {
    Text(String),
    Binary { base64: String },
}

impl Default for Body {
    fn default() -> Self {
        Body::Text(String::new())
    }
}

impl Body {
    pub fn from_bytes(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(s) => Body::Text(s.to_string()),
            Err(_) => {
                use base64::Engine;
                Body::Binary {
                    base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                }
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Body::Text(s) => s.as_bytes().to_vec(),
            Body::Binary { base64 } => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(base64)
                    .unwrap_or_default()
            }
        }
    }

    /// The text, or `None` for a binary body.
    pub fn text(&self) -> Option<&str> {
        match self {
            Body::Text(s) => Some(s),
            Body::Binary { .. } => None,
        }
    }
}

/// One side of an exchange: selected headers (lower-case names) and the body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Body,
}

impl Message {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// One request and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// 1, 2, 3... in the order the answers came back: an answer that a
    /// later request depends on always has the lower number.
    pub seq: u64,
    /// RFC 3339, when the answer came back.
    pub time: String,
    pub method: String,
    pub path: String,
    /// The query string without `?`, empty when there was none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    pub request: Message,
    pub status: u16,
    pub response: Message,
    /// Set when the upstream did not answer: `status` and `response` are
    /// then the recorder's own 502.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_error: Option<String>,
}

impl Exchange {
    /// `GET /path?query`, as reports show a request.
    pub fn request_line(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.query)
        }
    }
}

/// A cassette read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Cassette {
    pub header: Header,
    /// Ordered by `seq`.
    pub exchanges: Vec<Exchange>,
    /// Lines that could not be read but were tolerated (a last line cut
    /// short by a killed recorder).
    pub warnings: Vec<String>,
}

impl Cassette {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("reading the cassette {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let lines: Vec<&str> = text.split('\n').collect();
        let mut numbered = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, first)) = numbered.next() else {
            anyhow::bail!("the file is empty: a cassette starts with a header line");
        };
        let header: Header =
            serde_json::from_str(first).context("line 1 is not a cassette header")?;
        if header.format != FORMAT {
            anyhow::bail!("line 1 says format {:?}, not {FORMAT:?}", header.format);
        }
        if header.version != VERSION {
            anyhow::bail!(
                "this cassette is version {}; this xpm-sim reads version {VERSION}",
                header.version
            );
        }
        let mut exchanges = Vec::new();
        let mut warnings = Vec::new();
        let ends_with_newline = text.ends_with('\n');
        for (i, line) in numbered {
            match serde_json::from_str::<Exchange>(line) {
                Ok(x) => exchanges.push(x),
                // Only the very last line, without its newline, can be a
                // write cut short; anything else is a damaged file.
                Err(e) if i == lines.len() - 1 && !ends_with_newline => {
                    warnings.push(format!(
                        "line {} is incomplete and was left out: {e}",
                        i + 1
                    ));
                }
                Err(e) => anyhow::bail!("line {} is not an exchange: {e}", i + 1),
            }
        }
        exchanges.sort_by_key(|x| x.seq);
        Ok(Self {
            header,
            exchanges,
            warnings,
        })
    }
}

/// Appends exchanges to a cassette file, one whole line per write.
#[derive(Debug)]
pub struct CassetteWriter {
    inner: Mutex<WriterState>,
}

#[derive(Debug)]
struct WriterState {
    file: File,
    next_seq: u64,
}

impl CassetteWriter {
    /// Creates the file and writes the header. Refuses an existing file
    /// unless `overwrite`: a recording is not something to lose by a typo.
    pub fn create(path: &Path, header: &Header, overwrite: bool) -> anyhow::Result<Self> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true);
        if overwrite {
            opts.create(true).truncate(true);
        } else {
            opts.create_new(true);
        }
        let mut file = opts.open(path).with_context(|| {
            if path.exists() && !overwrite {
                format!("{} exists (use --overwrite to replace it)", path.display())
            } else {
                format!("creating {}", path.display())
            }
        })?;
        let mut line = serde_json::to_string(header)?;
        line.push('\n');
        file.write_all(line.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Self {
            inner: Mutex::new(WriterState { file, next_seq: 1 }),
        })
    }

    /// Numbers the exchange and appends it. The line goes to the operating
    /// system in one write before this returns, so it survives the recorder
    /// being killed (not a power cut: no fsync per exchange).
    pub fn append(&self, mut exchange: Exchange) -> anyhow::Result<u64> {
        let mut st = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        exchange.seq = st.next_seq;
        let mut line = serde_json::to_string(&exchange)?;
        line.push('\n');
        st.file.write_all(line.as_bytes())?;
        st.file.flush()?;
        st.next_seq += 1;
        Ok(exchange.seq)
    }
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(seq: u64) -> Exchange {
        Exchange {
            seq,
            time: "2026-01-05T09:00:00Z".into(),
            method: "GET".into(),
            path: "/connections".into(),
            query: String::new(),
            request: Message::default(),
            status: 200,
            response: Message {
                headers: BTreeMap::new(),
                body: Body::Text("[]".into()),
            },
            upstream_error: None,
        }
    }

    fn text_of(exchanges: &[Exchange]) -> String {
        let mut s = serde_json::to_string(&Header::new("http://x", BTreeMap::new())).unwrap();
        s.push('\n');
        for x in exchanges {
            s.push_str(&serde_json::to_string(x).unwrap());
            s.push('\n');
        }
        s
    }

    #[test]
    fn a_cut_short_last_line_is_left_out_with_a_warning() {
        let mut text = text_of(&[exchange(1), exchange(2)]);
        text.push_str(r#"{"seq":3,"time":"#);
        let c = Cassette::parse(&text).unwrap();
        assert_eq!(c.exchanges.len(), 2);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    }

    #[test]
    fn a_damaged_line_in_the_middle_is_an_error() {
        let text = text_of(&[exchange(1)]) + "not json\n" + &text_of(&[exchange(2)]);
        assert!(Cassette::parse(&text).is_err());
    }

    #[test]
    fn another_version_is_refused_by_name() {
        let text = r#"{"format":"xpm-sim-cassette","version":9,"upstream":"x","recorded_at":"t"}"#;
        let err = format!("{:#}", Cassette::parse(text).unwrap_err());
        assert!(err.contains("version 9"), "{err}");
    }

    #[test]
    fn binary_bodies_survive_as_base64() {
        let b = Body::from_bytes(&[0xff, 0x00, 0x41]);
        assert!(matches!(b, Body::Binary { .. }));
        let back: Body = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
        assert_eq!(back.to_bytes(), vec![0xff, 0x00, 0x41]);
        assert_eq!(Body::from_bytes(b"<a/>"), Body::Text("<a/>".into()));
    }
}
