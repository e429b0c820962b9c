//! Text for a person: outcomes, problems, previews and the form.

use siptel_sms::model::{ActionForm, Encoding, Outcome, Problem, SendPreview, WindowStatus};
use siptel_sms::text::escaped;
use std::fmt::Write;

/// Text from outside (Siptel's answers, a config's values) as a terminal
/// may show it: control characters written as `U+001B`, so none can act on
/// the terminal. Line breaks of multi-line texts are handled by callers.
fn shown(text: &str) -> String {
    escaped(text.chars())
}

/// The WIT name of a serde-named value (enums serialize to their kebab name).
fn name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        // Variants serialize as {"type": case, ...}.
        Ok(serde_json::Value::Object(o)) => o
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("?")
            .to_string(),
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn outcome(outcome: &Outcome) -> String {
    let mut out = String::new();
    match outcome {
        Outcome::Sent(r) => {
            let _ = writeln!(
                out,
                "sent: {} ({}), {}, {}, idempotency key {}",
                shown(&r.id),
                shown(&r.status),
                plural(r.segments, "segment", "segments"),
                plural(r.attempts, "attempt", "attempts"),
                r.idempotency_key
            );
            if let Some(c) = &r.campaign {
                let _ = writeln!(out, "  campaign: {}", shown(c));
            }
        }
        Outcome::Blocked(b) => {
            let _ = writeln!(
                out,
                "blocked ({}): next allowed {} (in {} s)\n  {}",
                name(&b.reason),
                b.next_allowed,
                b.wait_seconds,
                shown(&b.description)
            );
        }
        Outcome::Invalid { problems: list } => {
            let _ = write!(out, "invalid: {}", problems(list));
        }
        Outcome::Failed(f) => {
            let status = f
                .last_status
                .map_or(String::new(), |s| format!(", last HTTP status {s}"));
            let _ = writeln!(
                out,
                "failed -> intent {} [{}] after {}{status}\n  {}",
                f.error_intent,
                name(&f.code),
                plural(f.attempts, "attempt", "attempts"),
                shown(&f.description)
            );
            if f.possibly_sent {
                let _ = writeln!(
                    out,
                    "  possibly sent: re-run only with idempotency key {}",
                    f.idempotency_key
                );
            }
        }
    }
    out
}

pub fn problems(problems: &[Problem]) -> String {
    if problems.is_empty() {
        return "valid: no problems\n".into();
    }
    let mut out = format!("{}\n", plural(problems.len() as u32, "problem", "problems"));
    for p in problems {
        let _ = writeln!(
            out,
            "  {} [{}]: {}",
            name(&p.field),
            name(&p.code),
            shown(&p.message)
        );
    }
    out
}

pub fn preview(p: &SendPreview) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "from {} to {}", p.sender, p.recipient);
    if let Some(text) = &p.message {
        let lines: Vec<String> = text.split('\n').map(shown).collect();
        let _ = writeln!(out, "message:\n  {}", lines.join("\n  "));
        let units = match p.encoding {
            Encoding::Gsm7 => "septets",
            Encoding::Ucs2 => "UTF-16 units",
        };
        let _ = writeln!(
            out,
            "encoding: {}, {} {units}, {}",
            name(&p.encoding),
            p.units,
            plural(p.segments, "segment", "segments")
        );
        if !p.ucs2_characters.is_empty() {
            let _ = writeln!(out, "UCS-2 forced by: {}", p.ucs2_characters.join(" "));
        }
        for r in &p.replacements {
            let _ = writeln!(
                out,
                "replaced {:?} -> {:?} ({}x)",
                r.original, r.replacement, r.count
            );
        }
        if let Some(s) = p.transliterated_segments {
            let _ = writeln!(
                out,
                "with encoding gsm7-transliterate: {} instead of {}",
                plural(s, "segment", "segments"),
                p.segments
            );
        }
    }
    if let Some(c) = &p.campaign {
        let _ = writeln!(out, "campaign: {}", shown(c));
        for v in &p.campaign_variables {
            let _ = writeln!(out, "  {} = {}", shown(&v.name), shown(&v.value));
        }
    }
    if let Some(rut) = &p.rut {
        let _ = writeln!(out, "RUT: {rut}");
    }
    let _ = writeln!(out, "error intent: {}", p.error_intent);
    match &p.window {
        WindowStatus::Open => out.push_str("window: open\n"),
        WindowStatus::Closed(b) => {
            let _ = writeln!(
                out,
                "window: closed, next allowed {}\n  {}",
                b.next_allowed, b.description
            );
        }
    }
    out
}

pub fn form(form: &ActionForm) -> String {
    let mut out = format!("{}: {}\n", form.name.en, form.summary.en);
    for f in &form.fields {
        let required = if f.required { ", required" } else { "" };
        let default = f
            .default_value
            .as_deref()
            .map_or(String::new(), |d| format!(", default {d}"));
        let _ = writeln!(
            out,
            "  {} ({}{required}{default}): {}\n    {}",
            name(&f.id),
            name(&f.kind),
            f.label.en,
            f.help.en
        );
    }
    out
}
