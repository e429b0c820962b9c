//! Siptel's answer to one attempt, classified for the retry policy.

use super::*;
use chrono::{DateTime, NaiveDateTime};

/// What Siptel accepted (the success body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acceptance {
    /// Siptel's message id (non-empty).
    pub id: String,
    /// Siptel's status, [`DEFAULT_STATUS`] when the body has none.
    pub status: String,
    /// Segments Siptel counted, [`DEFAULT_SEGMENTS`] when the body has none.
    pub segments: u32,
    /// Campaign name, for campaign sends (as Siptel echoed it).
    pub campaign: Option<String>,
}

/// `status` of an acceptance whose body has none: a 200/201 means Siptel took
/// the message, and `queued` is what the contract's success body says then.
pub const DEFAULT_STATUS: &str = "queued";
/// `segments` of an acceptance whose body has none: every accepted SMS is at
/// least one segment.
pub const DEFAULT_SEGMENTS: u32 = 1;

/// When a `Retry-After` allows the next attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// Delta-seconds.
    Seconds(u64),
    /// An HTTP date, as Unix seconds.
    At(i64),
}

/// How a response body ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyEnd {
    /// Read to its end, within [`MAX_BODY_BYTES`].
    Complete,
    /// It went on past [`MAX_BODY_BYTES`] (not read further).
    TooLong,
    /// The connection broke before its end.
    Cut,
    /// It stopped coming: no more bytes before the attempt's timeout.
    Stalled,
}

/// Siptel's answer to one attempt, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 201 (or 200 for a repeated idempotency key) with a well-formed body.
    Accepted(Acceptance),
    /// A 2xx whose body was cut off or stalled: Siptel most likely accepted
    /// the message, but its answer is unknown. Retried with the same
    /// idempotency key, which makes Siptel answer the original result.
    Unconfirmed {
        /// The 2xx status.
        status: u16,
    },
    /// Anything else that came back over HTTP.
    Rejected {
        /// HTTP status.
        status: u16,
        /// Stable reason.
        code: FailureCode,
        /// Whether the contract says to try again (429, 500, 502, 503, 504).
        retryable: bool,
        /// The `Retry-After` header, when present and well-formed.
        retry_after: Option<RetryAfter>,
    },
}

/// Classifies one HTTP answer.
///
/// * 200/201 with a JSON object holding a non-empty string `id` is
///   [`Answer::Accepted`]; `status` and `segments` default to
///   [`DEFAULT_STATUS`] and [`DEFAULT_SEGMENTS`] when absent or `null` (the
///   message was taken; failing the flow over a missing detail would be
///   worse), but a field of the wrong type, or a missing/empty `id`, is
///   `MalformedResponse` (not retried).
/// * 429 is `RateLimited`, 500/502/503/504 are `ServerError`, whatever the
///   body (a proxy may answer HTML): these are the retryable ones.
/// * Other statuses read `{"error": {"code": ...}}`. A code is trusted only
///   with the status the contract pairs it with; otherwise the status decides:
///   400 → `InvalidRequest`, 401 → `InvalidApiKey`, 402 →
///   `InsufficientBalance`, 409 → `IdempotencyConflict`, 422 →
///   `InvalidRequest` (Siptel understood and refused the request). A 403 or
///   404 without a known code is `UnexpectedStatus`: a 403 has three causes
///   with different fixes, and a bare 404 most likely means a wrong base URL,
///   so guessing would send a person to fix the wrong thing. Any other status
///   (1xx, 3xx — redirects are not followed —, other 2xx, 4xx, 5xx) is
///   `UnexpectedStatus`.
/// * A 2xx whose body was cut or stalled ([`BodyEnd::Cut`],
///   [`BodyEnd::Stalled`]) is [`Answer::Unconfirmed`].
/// * A body that is not whole otherwise (past [`MAX_BODY_BYTES`], or cut on a
///   status that is not 2xx) makes the answer `MalformedResponse`, not
///   retried, except for the retryable statuses, whose classification never
///   needs the body: they stay retryable.
/// * `Retry-After` (header name case-insensitive, first one wins) is read on
///   every rejected answer; the retry policy only uses it on retryable ones.
pub fn interpret(status: u16, headers: &[(String, String)], body: &[u8], end: BodyEnd) -> Answer {
    let rejected = |code: FailureCode, retry_after: Option<RetryAfter>| Answer::Rejected {
        status,
        code,
        retryable: is_retryable_status(status),
        retry_after,
    };
    let whole = end == BodyEnd::Complete;
    if (200..300).contains(&status) && matches!(end, BodyEnd::Cut | BodyEnd::Stalled) {
        return Answer::Unconfirmed { status };
    }
    if status == 200 || status == 201 {
        if !whole {
            return rejected(FailureCode::MalformedResponse, None);
        }
        return match parse_acceptance(body) {
            Some(acceptance) => Answer::Accepted(acceptance),
            None => rejected(FailureCode::MalformedResponse, None),
        };
    }
    let truncated = !whole;
    let retry_after = headers
        .iter()
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(header::RETRY_AFTER))
        .and_then(|(_, value)| parse_retry_after(value));
    let code = match status {
        429 => FailureCode::RateLimited,
        500 | 502 | 503 | 504 => FailureCode::ServerError,
        _ if truncated => FailureCode::MalformedResponse,
        _ => error_code(body)
            .and_then(|code| code_of(status, code))
            .unwrap_or_else(|| fallback_code(status)),
    };
    rejected(code, retry_after)
}

/// The success body, or `None` when it is not one: absent and `null`
/// fields take their defaults, a field of the wrong type or a missing or
/// empty `id` make it no success body.
fn parse_acceptance(body: &[u8]) -> Option<Acceptance> {
    let body: SuccessBody = serde_json::from_slice(body).ok()?;
    Some(Acceptance {
        id: body.id.filter(|id| !id.is_empty())?,
        status: body.status.unwrap_or_else(|| DEFAULT_STATUS.to_owned()),
        segments: match body.segments {
            None => DEFAULT_SEGMENTS,
            Some(n) => u32::try_from(n).ok()?,
        },
        campaign: body.campaign,
    })
}

/// `error.code` of an error body, if it has one.
fn error_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|body| body.error.code)
}

/// Parses a `Retry-After` value: delta-seconds (saturating at `u64::MAX`) or
/// an HTTP date in any of the three forms HTTP recipients must accept
/// (IMF-fixdate, RFC 850, asctime), always GMT.
pub fn parse_retry_after(value: &str) -> Option<RetryAfter> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(RetryAfter::Seconds(seconds));
    }
    if value.len() > 64 {
        return None;
    }
    // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    if value.ends_with("GMT")
        && let Ok(date) = DateTime::parse_from_rfc2822(value)
    {
        return Some(RetryAfter::At(date.timestamp()));
    }
    // RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`; asctime: `Sun Nov  6 08:49:37 1994`.
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .map(|date| RetryAfter::At(date.and_utc().timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str, value: &str) -> Vec<(String, String)> {
        vec![(name.to_owned(), value.to_owned())]
    }

    fn rejected(status: u16, body: &str) -> (FailureCode, bool) {
        match interpret(status, &[], body.as_bytes(), BodyEnd::Complete) {
            Answer::Rejected {
                status: s,
                code,
                retryable,
                ..
            } => {
                assert_eq!(s, status);
                (code, retryable)
            }
            other => panic!("{other:?}"),
        }
    }

    fn error_body(code: &str) -> String {
        format!(r#"{{"error":{{"code":"{code}","message":"x"}}}}"#)
    }

    #[test]
    fn a_2xx_cut_or_stalled_is_unconfirmed_whatever_the_body() {
        for status in [200, 201, 202] {
            for end in [BodyEnd::Cut, BodyEnd::Stalled] {
                assert_eq!(
                    interpret(status, &[], br#"{"id":"sms_1","st"#, end),
                    Answer::Unconfirmed { status }
                );
            }
        }
        // A cut refusal is still a refusal (malformed), a cut 503 still retryable.
        assert!(matches!(
            interpret(401, &[], b"{", BodyEnd::Cut),
            Answer::Rejected {
                code: FailureCode::MalformedResponse,
                retryable: false,
                ..
            }
        ));
        assert!(matches!(
            interpret(503, &[], b"", BodyEnd::Stalled),
            Answer::Rejected {
                code: FailureCode::ServerError,
                retryable: true,
                ..
            }
        ));
    }

    #[test]
    fn success_bodies() {
        let body = br#"{"id":"sms_01HZX3","status":"queued","segments":2}"#;
        for status in [200, 201] {
            assert_eq!(
                interpret(status, &[], body, BodyEnd::Complete),
                Answer::Accepted(Acceptance {
                    id: "sms_01HZX3".into(),
                    status: "queued".into(),
                    segments: 2,
                    campaign: None,
                })
            );
        }
        let campaign = br#"{"id":"a","status":"sent","segments":1,"campaign":"promo","extra":[1]}"#;
        assert_eq!(
            interpret(201, &[], campaign, BodyEnd::Complete),
            Answer::Accepted(Acceptance {
                id: "a".into(),
                status: "sent".into(),
                segments: 1,
                campaign: Some("promo".into()),
            })
        );
        let minimal = br#"{"id":"a","status":null}"#;
        assert_eq!(
            interpret(201, &[], minimal, BodyEnd::Complete),
            Answer::Accepted(Acceptance {
                id: "a".into(),
                status: DEFAULT_STATUS.into(),
                segments: DEFAULT_SEGMENTS,
                campaign: None,
            })
        );
    }

    #[test]
    fn malformed_success_bodies() {
        for body in [
            "",
            "not json",
            "[]",
            r#"{"status":"queued","segments":1}"#,
            r#"{"id":"","status":"queued"}"#,
            r#"{"id":7}"#,
            r#"{"id":"a","status":3}"#,
            r#"{"id":"a","segments":-1}"#,
            r#"{"id":"a","segments":1.5}"#,
            r#"{"id":"a","segments":"1"}"#,
            r#"{"id":"a","segments":4294967296}"#,
            r#"{"id":"a","campaign":{}}"#,
        ] {
            assert_eq!(
                rejected(201, body),
                (FailureCode::MalformedResponse, false),
                "{body}"
            );
        }
        let good = br#"{"id":"a","status":"queued","segments":1}"#;
        assert_eq!(
            interpret(201, &[], good, BodyEnd::TooLong),
            Answer::Rejected {
                status: 201,
                code: FailureCode::MalformedResponse,
                retryable: false,
                retry_after: None,
            }
        );
    }

    #[test]
    fn error_table() {
        use FailureCode::*;
        for (status, code, expected) in [
            (400, "invalid_request", InvalidRequest),
            (400, "invalid_number", InvalidNumber),
            (401, "invalid_api_key", InvalidApiKey),
            (402, "insufficient_balance", InsufficientBalance),
            (403, "sender_not_authorized", SenderNotAuthorized),
            (403, "ip_not_authorized", IpNotAuthorized),
            (403, "sms_not_enabled", SmsNotEnabled),
            (404, "campaign_not_found", CampaignNotFound),
            (409, "idempotency_conflict", IdempotencyConflict),
            (422, "template_invalid", TemplateInvalid),
            (422, "missing_variable", MissingVariable),
        ] {
            assert_eq!(
                rejected(status, &error_body(code)),
                (expected, false),
                "{status} {code}"
            );
        }
        assert_eq!(
            rejected(429, &error_body("rate_limited")),
            (RateLimited, true)
        );
    }

    #[test]
    fn unknown_codes_fall_back_by_status() {
        use FailureCode::*;
        for (status, expected) in [
            (400, InvalidRequest),
            (401, InvalidApiKey),
            (402, InsufficientBalance),
            (403, UnexpectedStatus),
            (404, UnexpectedStatus),
            (409, IdempotencyConflict),
            (422, InvalidRequest),
            (405, UnexpectedStatus),
            (418, UnexpectedStatus),
            (501, UnexpectedStatus),
            (505, UnexpectedStatus),
            (202, UnexpectedStatus),
            (204, UnexpectedStatus),
            (301, UnexpectedStatus),
            (100, UnexpectedStatus),
            (0, UnexpectedStatus),
            (999, UnexpectedStatus),
        ] {
            for body in [
                "",
                "<html>nope</html>",
                &error_body("brand_new"),
                r#"{"error":"x"}"#,
            ] {
                assert_eq!(rejected(status, body), (expected, false), "{status} {body}");
            }
        }
        // A known code with another status is not trusted.
        assert_eq!(
            rejected(400, &error_body("insufficient_balance")),
            (InvalidRequest, false)
        );
        assert_eq!(
            rejected(403, &error_body("invalid_api_key")),
            (UnexpectedStatus, false)
        );
    }

    #[test]
    fn retryable_statuses_whatever_the_body() {
        for status in [429, 500, 502, 503, 504] {
            let expected = if status == 429 {
                FailureCode::RateLimited
            } else {
                FailureCode::ServerError
            };
            for body in ["", "<h1>Bad gateway</h1>", &error_body("invalid_api_key")] {
                assert_eq!(rejected(status, body), (expected, true));
            }
            // Truncated bodies do not matter to these.
            match interpret(status, &[], b"xx", BodyEnd::TooLong) {
                Answer::Rejected {
                    code, retryable, ..
                } => assert_eq!((code, retryable), (expected, true)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn truncated_error_is_malformed() {
        let body = error_body("invalid_api_key");
        assert_eq!(
            interpret(401, &[], body.as_bytes(), BodyEnd::TooLong),
            Answer::Rejected {
                status: 401,
                code: FailureCode::MalformedResponse,
                retryable: false,
                retry_after: None,
            }
        );
    }

    #[test]
    fn retry_after_header() {
        let answer = interpret(429, &h("retry-after", " 7 "), b"", BodyEnd::Complete);
        assert_eq!(
            answer,
            Answer::Rejected {
                status: 429,
                code: FailureCode::RateLimited,
                retryable: true,
                retry_after: Some(RetryAfter::Seconds(7)),
            }
        );
        let answer = interpret(
            503,
            &h("RETRY-AFTER", "Sun, 06 Nov 1994 08:49:37 GMT"),
            b"",
            BodyEnd::Complete,
        );
        assert!(matches!(
            answer,
            Answer::Rejected {
                retry_after: Some(RetryAfter::At(784111777)),
                ..
            }
        ));
        let mut headers = h("x-other", "5");
        headers.extend(h("Retry-After", "soon"));
        assert!(matches!(
            interpret(429, &headers, b"", BodyEnd::Complete),
            Answer::Rejected {
                retry_after: None,
                ..
            }
        ));
    }

    #[test]
    fn retry_after_forms() {
        use RetryAfter::*;
        assert_eq!(parse_retry_after("0"), Some(Seconds(0)));
        assert_eq!(parse_retry_after("120"), Some(Seconds(120)));
        assert_eq!(
            parse_retry_after("99999999999999999999999999"),
            Some(Seconds(u64::MAX))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(At(784111777))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(At(784111777))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:37 1994"),
            Some(At(784111777))
        );
        for bad in [
            "",
            " ",
            "-1",
            "1.5",
            "+3",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 +0100",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "1e3",
        ] {
            assert_eq!(parse_retry_after(bad), None, "{bad:?}");
        }
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn answers(
                status: u16,
                name in "[A-Za-z-]{0,12}",
                value in "\\PC{0,40}",
                body in proptest::collection::vec(any::<u8>(), 0..200),
                end in prop_oneof![
                    Just(BodyEnd::Complete),
                    Just(BodyEnd::TooLong),
                    Just(BodyEnd::Cut),
                    Just(BodyEnd::Stalled),
                ],
            ) {
                let answer = interpret(status, &[(name, value)], &body, end);
                match answer {
                    Answer::Rejected { status: s, retryable, .. } => {
                        prop_assert_eq!(s, status);
                        prop_assert_eq!(retryable, is_retryable_status(status));
                    }
                    Answer::Unconfirmed { status: s } => {
                        prop_assert_eq!(s, status);
                        prop_assert!((200..300).contains(&status));
                        prop_assert!(matches!(end, BodyEnd::Cut | BodyEnd::Stalled));
                    }
                    Answer::Accepted(_) => prop_assert_eq!(end, BodyEnd::Complete),
                }
            }

            #[test]
            fn success_json(id in "\\PC{0,10}", segments: i64, status in "\\PC{0,10}") {
                let body = serde_json::json!({"id": id, "status": status, "segments": segments});
                let answer = interpret(201, &[], body.to_string().as_bytes(), BodyEnd::Complete);
                let ok = !id.is_empty() && u32::try_from(segments).is_ok();
                prop_assert_eq!(matches!(answer, Answer::Accepted(_)), ok);
            }
        }
    }
}
