//! The assumed Siptel contract, as the stub answers it.

use super::*;

pub(crate) fn error_body(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

pub(crate) fn error(status: u16, code: &str, message: impl AsRef<str>) -> Answer {
    Answer::json(status, &error_body(code, message.as_ref()))
}

pub(crate) fn invalid_request(message: impl AsRef<str>) -> Answer {
    error(400, "invalid_request", message)
}

/// The contract's error code for a status (the first one listed when several).
pub(crate) fn error_code_for(status: u16) -> String {
    let code = match status {
        400 => "invalid_request",
        401 => "invalid_api_key",
        402 => "insufficient_balance",
        403 => "sender_not_authorized",
        404 => "campaign_not_found",
        405 => "method_not_allowed",
        409 => "idempotency_conflict",
        413 => "payload_too_large",
        422 => "template_invalid",
        429 => "rate_limited",
        500 => "internal_error",
        502 => "bad_gateway",
        503 => "service_unavailable",
        504 => "gateway_timeout",
        _ => {
            let reason = StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason());
            return match reason {
                Some(reason) => snake_case(reason),
                None => format!("http_{status}"),
            };
        }
    };
    code.to_owned()
}

pub(crate) fn snake_case(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') && c != '\'' {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

// ---------------------------------------------------------------------------
// The contract

pub(crate) struct RequestView<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: Result<&'a [u8], &'a BodyError>,
}

pub(crate) enum Route {
    Sms,
    /// The decoded campaign name; `None` when the segment is not valid
    /// percent-encoded UTF-8.
    Campaign(Option<String>),
}

pub(crate) fn route(path: &str) -> Option<Route> {
    if path == "/v1/sms" {
        return Some(Route::Sms);
    }
    let segment = path.strip_prefix("/v1/campaigns/")?.strip_suffix("/sms")?;
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    let decoded = siptel_sms::siptel::percent_decode(segment);
    Some(Route::Campaign(
        decoded.and_then(|b| String::from_utf8(b).ok()),
    ))
}

pub(crate) fn contract(state: &mut State, id_prefix: &str, request: &RequestView<'_>) -> Answer {
    match check_send(state, id_prefix, request) {
        Ok(answer) | Err(answer) => answer,
    }
}

/// What the body asks for, once its shape is checked.
pub(crate) struct Send {
    pub(crate) sender: String,
    pub(crate) recipient: String,
    pub(crate) kind: SendKind,
    pub(crate) body: Value,
}

pub(crate) enum SendKind {
    Sms { message: String, encoding: Encoding },
    Campaign { variables: Map<String, Value> },
}

pub(crate) fn check_send(
    state: &mut State,
    id_prefix: &str,
    request: &RequestView<'_>,
) -> Result<Answer, Answer> {
    let path = request.path;
    let Some(route) = route(path) else {
        return Err(error(404, "not_found", format!("no such resource: {path}")));
    };
    if *request.method != Method::POST {
        return Err(error(
            405,
            "method_not_allowed",
            format!("{} is not allowed on {path}; use POST", request.method),
        )
        .with_header("allow", "POST"));
    }
    let body = match request.body {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return Err(error(
                413,
                "payload_too_large",
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            )
            .with_header("connection", "close"));
        }
        Err(BodyError::Unreadable) => return Err(invalid_request("the body could not be read")),
    };
    let headers = request.headers;
    let config = &state.config;

    let token = header_str(headers, header::AUTHORIZATION.as_str()).and_then(|v| {
        let (scheme, token) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    if !token.is_some_and(|t| !t.is_empty() && t == config.api_key) {
        return Err(error(
            401,
            "invalid_api_key",
            "missing or invalid Authorization: Bearer <key>",
        )
        .with_header("www-authenticate", "Bearer"));
    }

    if !config.ip_registered && !header_str(headers, "x-siptel-rut").is_some_and(valid_rut) {
        return Err(error(
            403,
            "ip_not_authorized",
            "this IP is not registered: send X-Siptel-Rut with the account's RUT (e.g. 12345678-5)",
        ));
    }

    check_content_type(header_str(headers, header::CONTENT_TYPE.as_str()))?;
    let send = parse_body(&route, body)?;

    let (text, encoding, campaign) = match (&route, &send.kind) {
        (Route::Sms, SendKind::Sms { message, encoding }) => (message.clone(), *encoding, None),
        (Route::Campaign(name), SendKind::Campaign { variables }) => {
            let campaign = name
                .as_deref()
                .and_then(|name| config.campaigns.iter().find(|c| c.name == name));
            let Some(campaign) = campaign else {
                return Err(error(
                    404,
                    "campaign_not_found",
                    format!("no campaign {}", name.as_deref().unwrap_or("(undecodable)")),
                ));
            };
            let text = render_campaign(campaign, variables)?;
            let encoding = if text.chars().all(is_gsm7) {
                Encoding::Gsm7
            } else {
                Encoding::Ucs2
            };
            (text, encoding, Some(campaign.name.clone()))
        }
        // `parse_body` follows the route.
        _ => return Err(invalid_request("body does not match the route")),
    };

    let key = header_str(headers, "idempotency-key").unwrap_or("");
    let key_ok = (8..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !key_ok {
        return Err(invalid_request(
            "Idempotency-Key is required: 8 to 64 of [A-Za-z0-9_-]",
        ));
    }

    if let Some(stored) = state.idempotency.get(key) {
        if stored.path == path && stored.body == send.body {
            return Ok(Answer {
                status: 200,
                headers: vec![
                    ("content-type".to_owned(), "application/json".to_owned()),
                    ("idempotent-replayed".to_owned(), "true".to_owned()),
                ],
                body: stored.answer.clone(),
            });
        }
        return Err(error(
            409,
            "idempotency_conflict",
            "this Idempotency-Key was used for another request",
        ));
    }

    if let Some(balance) = config.balance
        && state.sent.len() >= balance as usize
    {
        return Err(error(
            402,
            "insufficient_balance",
            "the account has no balance left",
        ));
    }

    let id = format!("sms_{id_prefix}{:06}", state.next_id);
    state.next_id += 1;
    let segments = segments(&text, encoding);
    let mut answer = json!({"id": id, "status": "queued", "segments": segments});
    if let Some(campaign) = &campaign {
        answer["campaign"] = Value::String(campaign.clone());
    }
    let answer = Answer::json(201, &answer);
    state.idempotency.insert(
        key.to_owned(),
        Stored {
            path: path.to_owned(),
            body: send.body,
            answer: answer.body.clone(),
        },
    );
    state.sent.push(SentSms {
        id,
        sender: send.sender,
        recipient: send.recipient,
        text,
        encoding: encoding.as_str().to_owned(),
        segments,
        campaign,
        idempotency_key: key.to_owned(),
    });
    Ok(answer)
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn check_content_type(value: Option<&str>) -> Result<(), Answer> {
    let bad = || invalid_request("Content-Type must be application/json");
    let value = value.ok_or_else(bad)?;
    let mut params = value.split(';');
    let media = params.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("application/json") {
        return Err(bad());
    }
    for param in params {
        if let Some((name, charset)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("charset")
            && !charset
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("utf-8")
        {
            return Err(invalid_request("the body must be UTF-8 JSON"));
        }
    }
    Ok(())
}

pub(crate) fn parse_body(route: &Route, body: &[u8]) -> Result<Send, Answer> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid_request(format!("the body is not JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(invalid_request("the body must be a JSON object"));
    };
    let allowed: &[&str] = match route {
        Route::Sms => &["sender", "recipient", "message", "encoding"],
        Route::Campaign(_) => &["sender", "recipient", "variables"],
    };
    if let Some(unknown) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid_request(format!("unknown field `{unknown}`")));
    }
    let string = |name: &str| -> Result<String, Answer> {
        match object.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(invalid_request(format!("`{name}` must be a string"))),
            None => Err(invalid_request(format!("`{name}` is required"))),
        }
    };
    let sender = string("sender")?;
    let recipient = string("recipient")?;
    let kind = match route {
        Route::Sms => {
            let message = string("message")?;
            let encoding = match string("encoding")?.as_str() {
                "gsm7" => Encoding::Gsm7,
                "ucs2" => Encoding::Ucs2,
                other => {
                    return Err(invalid_request(format!(
                        "`encoding` must be gsm7 or ucs2, not {other:?}"
                    )));
                }
            };
            SendKind::Sms { message, encoding }
        }
        Route::Campaign(_) => {
            let variables = match object.get("variables") {
                None => Map::new(),
                Some(Value::Object(vars)) => {
                    if let Some((name, _)) = vars.iter().find(|(_, v)| !v.is_string()) {
                        return Err(invalid_request(format!(
                            "variable `{name}` must be a string"
                        )));
                    }
                    vars.clone()
                }
                Some(_) => {
                    return Err(invalid_request("`variables` must be an object of strings"));
                }
            };
            SendKind::Campaign { variables }
        }
    };
    for (name, number) in [("sender", &sender), ("recipient", &recipient)] {
        if !(8..=15).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error(
                400,
                "invalid_number",
                format!("`{name}` must be 8 to 15 digits (country code first, no `+`)"),
            ));
        }
    }
    if let SendKind::Sms { message, encoding } = &kind {
        if message.is_empty() {
            return Err(invalid_request("`message` must not be empty"));
        }
        if *encoding == Encoding::Gsm7 && !message.chars().all(is_gsm7) {
            return Err(invalid_request(
                "`message` has characters outside GSM-7 but `encoding` is gsm7",
            ));
        }
    }
    Ok(Send {
        sender,
        recipient,
        kind,
        body: value,
    })
}

pub(crate) fn render_campaign(
    campaign: &StubCampaign,
    variables: &Map<String, Value>,
) -> Result<String, Answer> {
    let pieces = scan_template(&campaign.template);
    let mut missing: Vec<&str> = Vec::new();
    let required = campaign
        .variables
        .iter()
        .map(String::as_str)
        .chain(pieces.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(*v),
            Piece::Text(_) => None,
        }));
    for name in required {
        if !variables.contains_key(name) && !missing.contains(&name) {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        return Err(error(
            422,
            "missing_variable",
            format!(
                "campaign {} needs the variables: {}",
                campaign.name,
                missing.join(", ")
            ),
        ));
    }
    let mut text = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(t) => text.push_str(t),
            Piece::Var(v) => text.push_str(variables.get(v).and_then(Value::as_str).unwrap_or("")),
        }
    }
    Ok(text)
}

// ---------------------------------------------------------------------------
// Templates, RUT, segments

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Splits a template into text and `{name}` / `{{ name }}` placeholders. A
/// brace that does not open a valid placeholder is text.
pub(crate) fn scan_template(template: &str) -> Vec<Piece<'_>> {
    pub(crate) fn is_name(s: &str) -> bool {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    }
    let mut pieces = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(offset) = template[i..].find('{') {
        let open = i + offset;
        let rest = &template[open..];
        let found = if let Some(inner) = rest.strip_prefix("{{") {
            inner
                .find("}}")
                .map(|end| (inner[..end].trim(), 2 + end + 2))
                .filter(|(name, _)| is_name(name))
        } else {
            None
        };
        let found = found.or_else(|| {
            rest[1..]
                .find('}')
                .map(|end| (&rest[1..1 + end], 1 + end + 1))
                .filter(|(name, _)| is_name(name))
        });
        match found {
            Some((name, len)) => {
                if open > text_start {
                    pieces.push(Piece::Text(&template[text_start..open]));
                }
                pieces.push(Piece::Var(name));
                i = open + len;
                text_start = i;
            }
            None => i = open + 1,
        }
    }
    if text_start < template.len() {
        pieces.push(Piece::Text(&template[text_start..]));
    }
    pieces
}

/// A RUT in normalised form (`12345678-5`: digits without dots or leading zero,
/// a dash, the check digit with upper-case `K`) whose check digit is right.
/// The stub plays Siptel, but the modulo-11 rule is the component's own.
pub(crate) fn valid_rut(rut: &str) -> bool {
    siptel_sms::rut::normalize(rut).is_ok_and(|normalised| normalised == rut)
}

/// SMS segments for `text` as Siptel bills them (at least one), counted by
/// the component's encoding module: one definition of carrier segmenting.
pub(crate) fn segments(text: &str, encoding: Encoding) -> u32 {
    siptel_sms::encoding::analyze(text, encoding == Encoding::Ucs2)
        .segments
        .max(1)
}
