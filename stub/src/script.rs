//! Scripted answers: what a test queues instead of the contract's answer.

use super::*;

/// One scripted answer: the next request to `/v1/*` gets it instead of the
/// contract's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scripted {
    /// Answer with this status, headers and body, after `delay`; `ending`
    /// says whether the body arrives whole.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay: Duration,
        ending: Ending,
    },
    /// Close the connection without an answer, after `delay`.
    Drop { delay: Duration },
}

/// How a scripted body reaches the client. The `Content-Length` is always
/// the whole body's, so a client knows when it got less.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ending {
    /// All of it.
    #[default]
    Whole,
    /// Its first `after` bytes, then the connection is closed.
    Cut { after: usize },
    /// Its first `after` bytes, then nothing more (the connection stays open).
    Stall { after: usize },
}

impl Scripted {
    /// A contract-shaped answer for `status`: for an error status, the JSON error
    /// body with the contract's code (e.g. 503 `service_unavailable`, 429
    /// `rate_limited` with `Retry-After: 1`); for a 2xx status, a success body
    /// `{"id":"sms_scripted","status":"queued","segments":1}` (not counted as sent).
    pub fn status(status: u16) -> Self {
        if (200..300).contains(&status) {
            return Scripted::json(
                status,
                json!({"id": "sms_scripted", "status": "queued", "segments": 1}),
            );
        }
        let code = error_code_for(status);
        let message = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("scripted error");
        let answer = Scripted::json(status, error_body(&code, message));
        if status == 429 {
            answer.with_header("retry-after", "1")
        } else {
            answer
        }
    }

    /// `body` serialized as JSON, with `Content-Type: application/json`.
    pub fn json(status: u16, body: Value) -> Self {
        Scripted::Respond {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
            ending: Ending::Whole,
        }
    }

    /// These exact body bytes, with no `Content-Type` (add one with
    /// [`Scripted::with_header`]), e.g. a proxy's HTML error page.
    pub fn raw(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Scripted::Respond {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
            ending: Ending::Whole,
        }
    }

    /// Close the connection without an answer.
    pub fn drop_connection() -> Self {
        Scripted::Drop {
            delay: Duration::ZERO,
        }
    }

    /// Sets a header, replacing any header of the same name (case-insensitive).
    /// No effect on [`Scripted::Drop`].
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let Scripted::Respond { headers, .. } = &mut self {
            let name = name.into().to_ascii_lowercase();
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
            headers.push((name, value.into()));
        }
        self
    }

    /// Sends the status, the headers and the first `bytes` of the body, then
    /// closes the connection: an answer cut off on the way. No effect on
    /// [`Scripted::Drop`].
    pub fn cut_after(self, bytes: usize) -> Self {
        self.ending(Ending::Cut { after: bytes })
    }

    /// Sends the status, the headers and the first `bytes` of the body, then
    /// nothing more: an answer that stalls. No effect on [`Scripted::Drop`].
    pub fn stall_after(self, bytes: usize) -> Self {
        self.ending(Ending::Stall { after: bytes })
    }

    fn ending(mut self, end: Ending) -> Self {
        if let Scripted::Respond { ending, .. } = &mut self {
            *ending = end;
        }
        self
    }

    /// Waits this long before answering (or dropping the connection).
    pub fn with_delay(mut self, d: Duration) -> Self {
        match &mut self {
            Scripted::Respond { delay, .. } | Scripted::Drop { delay } => *delay = d,
        }
        self
    }
}

/// One entry of `POST /_stub/script`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScriptEntry {
    #[serde(default)]
    pub(crate) status: Option<u16>,
    #[serde(default)]
    pub(crate) headers: Map<String, Value>,
    #[serde(default)]
    pub(crate) body: Option<Value>,
    #[serde(default)]
    pub(crate) delay_ms: u64,
    #[serde(default)]
    pub(crate) drop: bool,
    #[serde(default)]
    pub(crate) cut_after: Option<usize>,
    #[serde(default)]
    pub(crate) stall_after: Option<usize>,
}

pub(crate) fn parse_script(body: &[u8]) -> Result<Vec<Scripted>, String> {
    let entries: Vec<ScriptEntry> = serde_json::from_slice(body).map_err(|e| {
        let shape = "{status, headers, body, delay_ms, cut_after, stall_after} or {drop, delay_ms}";
        format!("expected a JSON array of {shape}: {e}")
    })?;
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            let delay = Duration::from_millis(entry.delay_ms);
            if entry.drop {
                return Ok(Scripted::Drop { delay });
            }
            let status = entry
                .status
                .filter(|s| (200..=999).contains(s))
                .ok_or_else(|| {
                    format!("entry {i}: `status` 200..=999 or `drop: true` is required")
                })?;
            let mut scripted = match entry.body {
                None => Scripted::status(status),
                Some(Value::String(text)) => Scripted::raw(status, text),
                Some(json) => Scripted::json(status, json),
            };
            for (name, value) in entry.headers {
                let value = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                scripted = scripted.with_header(name, value);
            }
            if let Some(bytes) = entry.cut_after {
                scripted = scripted.cut_after(bytes);
            }
            if let Some(bytes) = entry.stall_after {
                scripted = scripted.stall_after(bytes);
            }
            Ok(scripted.with_delay(delay))
        })
        .collect()
}
