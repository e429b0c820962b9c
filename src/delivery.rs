//! The send loop: one request, attempted until Siptel accepts it, refuses it
//! for good, or the policy stops. HTTP, clocks and randomness come in through
//! the small traits below; the component implements them with `wasi:http`,
//! `wasi:clocks` and `wasi:random`, tests with scripted fakes.

use crate::model::FailureCode;
use crate::retry::{self, Decision, Fault, StopReason};
use crate::siptel::{self, Answer, BodyEnd, RetryAfter};

/// Sends one HTTP request and reads its answer.
pub trait Transport {
    /// Sends `request` (always `POST`) and waits at most `timeout_ms` for the
    /// whole answer. Once a status has come, the answer is a [`Response`]
    /// even if its body then breaks or stalls ([`Response::body_end`] says
    /// which): the status must not be lost. Reads at most
    /// [`siptel::MAX_BODY_BYTES`] of the body.
    fn send(
        &mut self,
        request: &siptel::Request,
        timeout_ms: u64,
    ) -> Result<Response, TransportError>;
}

/// An HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Header names and values (values decoded lossily as UTF-8).
    pub headers: Vec<(String, String)>,
    /// The body, at most [`siptel::MAX_BODY_BYTES`].
    pub body: Vec<u8>,
    /// How the body ended: whole, too long, cut or stalled.
    pub body_end: BodyEnd,
}

/// Why no HTTP status came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportError {
    /// The request never left: connection refused, DNS or TLS handshake
    /// failure. Retried; nothing can have reached Siptel.
    Unreachable,
    /// No answer within the timeout. Retried; the request may have reached
    /// Siptel.
    Timeout,
    /// The connection broke before a status came. Retried; the request may
    /// have reached Siptel.
    ConnectionLost,
    /// The host refused the outgoing request (its egress policy). Final.
    Denied,
    /// The host could not make the request (an invalid request, an internal
    /// error). Final; nothing was sent.
    Other,
}

impl TransportError {
    /// The failure code this error gives when it ends the send.
    pub const fn code(self) -> FailureCode {
        match self {
            TransportError::Timeout => FailureCode::Timeout,
            TransportError::Unreachable | TransportError::ConnectionLost => {
                FailureCode::ConnectionFailed
            }
            TransportError::Denied | TransportError::Other => FailureCode::RequestDenied,
        }
    }

    /// Whether another attempt may succeed: timeouts and connection faults.
    pub const fn retryable(self) -> bool {
        matches!(
            self,
            TransportError::Unreachable | TransportError::Timeout | TransportError::ConnectionLost
        )
    }

    /// Whether the request may have reached Siptel before the error.
    pub const fn may_have_arrived(self) -> bool {
        matches!(
            self,
            TransportError::Timeout | TransportError::ConnectionLost
        )
    }
}

/// Time, as the send loop needs it.
pub trait Clock {
    /// Milliseconds of a monotonic clock (any origin).
    fn monotonic_ms(&mut self) -> u64;
    /// Blocks for `ms` milliseconds (not a busy loop).
    fn sleep_ms(&mut self, ms: u64);
    /// Wall-clock Unix seconds (to read a `Retry-After` date).
    fn unix_seconds(&mut self) -> i64;
}

/// Randomness for the backoff jitter and fresh idempotency keys.
pub trait Entropy {
    /// A uniformly random `u64`.
    fn next_u64(&mut self) -> u64;

    /// A uniformly random `u128` (two `u64`s unless a source does better).
    fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }
}

/// Siptel accepted the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// Siptel's answer.
    pub acceptance: siptel::Acceptance,
    /// HTTP attempts made (1 when the first succeeded).
    pub attempts: u32,
}

/// The send failed for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Undelivered {
    /// Stable reason.
    pub code: FailureCode,
    /// HTTP attempts made.
    pub attempts: u32,
    /// Status of the last HTTP answer received during this send, even when a
    /// later attempt got none (a timeout after a 503 keeps `Some(503)`).
    pub last_status: Option<u16>,
    /// Whether Siptel may have accepted the message (see [`deliver`]).
    pub possibly_sent: bool,
}

/// What the attempts so far tell about whether Siptel took the message.
#[derive(Clone, Copy, Default)]
struct Uncertainty {
    /// A 2xx came whose body did not arrive whole: Siptel took the message.
    unconfirmed: bool,
    /// An attempt may have reached Siptel without a clear answer.
    possibly_sent: bool,
}

impl Uncertainty {
    /// After an attempt that may have reached Siptel unanswered.
    fn unanswered(&mut self) {
        self.possibly_sent = true;
    }

    /// After a 2xx Siptel took but whose answer could not be read whole.
    fn accepted_unread(&mut self) {
        self.unconfirmed = true;
        self.possibly_sent = true;
    }

    /// After Siptel's final refusal: with the same key and body, Siptel
    /// would have answered an earlier acceptance again, so an earlier
    /// unanswered attempt was not accepted either. A seen 2xx stays.
    fn refused(&mut self) {
        self.possibly_sent = self.unconfirmed;
    }

    /// The code that ends the send: `Unconfirmed` once a 2xx was seen
    /// (nothing later is as informative), else the attempt's own.
    fn code(self, code: FailureCode) -> FailureCode {
        if self.unconfirmed && is_transient(code) {
            FailureCode::Unconfirmed
        } else {
            code
        }
    }
}

/// Codes of a send that ran out of attempts or time rather than being
/// refused: a 2xx seen earlier tells more than they do.
const fn is_transient(code: FailureCode) -> bool {
    matches!(
        code,
        FailureCode::RateLimited
            | FailureCode::ServerError
            | FailureCode::Timeout
            | FailureCode::ConnectionFailed
            | FailureCode::DeadlineExceeded
            | FailureCode::MalformedResponse
    )
}

/// The last failed attempt, as far as the final code cares.
#[derive(Clone, Copy)]
struct Failed {
    code: FailureCode,
    /// A `Retry-After` that asked for more time than the budget had left.
    told_to_wait_past_deadline: bool,
}

impl Failed {
    /// The code when the deadline ends the send: `RateLimited` after a 429,
    /// or when Siptel's `Retry-After` reached past the deadline (it asked us
    /// to slow down more than the budget allows); otherwise `DeadlineExceeded`,
    /// also after a timeout or 5xx, since the budget is what ran out.
    fn at_deadline(self) -> FailureCode {
        if self.code == FailureCode::RateLimited || self.told_to_wait_past_deadline {
            FailureCode::RateLimited
        } else {
            FailureCode::DeadlineExceeded
        }
    }
}

/// Delivers `request`, retrying under `policy`.
///
/// Every attempt sends the very same request, so the same `Idempotency-Key`:
/// Siptel sends at most one SMS however many attempts it sees. Each attempt
/// gets `min(attempt_timeout_ms, time left before the deadline)` (at least
/// 1 ms). What is retried: 429, 500, 502, 503, 504, timeouts, connection
/// faults, and a 2xx whose body was cut or stalled (retrying with the same
/// key makes Siptel answer the original result, so it is safe); the wait
/// comes from [`retry::decide`] (a `Retry-After` date is turned into a delay
/// with [`Clock::unix_seconds`]) and is spent in [`Clock::sleep_ms`].
///
/// The failure code is that of the last attempt when the answer is final or
/// the attempts are exhausted. When the deadline ends the send it is
/// `DeadlineExceeded`, except `RateLimited` after a 429 or when a `Retry-After`
/// reached past the deadline. An attempt whose timeout was cut short by the
/// deadline and timed out reports `DeadlineExceeded`. Once a 2xx was seen
/// whose body did not arrive whole, a send that then runs out of attempts or
/// time is `Unconfirmed`. If the budget is already spent before the first
/// attempt, nothing is sent (`attempts` 0).
///
/// [`Undelivered::possibly_sent`] is set by an attempt that may have reached
/// Siptel unanswered (a timeout, a connection lost after the request left, a
/// 2xx that could not be read) and cleared by a later final refusal from
/// Siptel, except after a 2xx.
pub fn deliver(
    request: &siptel::Request,
    policy: &retry::Policy,
    attempt_timeout_ms: u64,
    transport: &mut impl Transport,
    clock: &mut impl Clock,
    entropy: &mut impl Entropy,
) -> Result<Delivered, Undelivered> {
    let start = clock.monotonic_ms();
    // The clock is read again only after a failed attempt or a wait: a send
    // that succeeds at once reads it once.
    let mut elapsed = 0;
    let mut attempts: u32 = 0;
    let mut last_status = None;
    let mut last: Option<Failed> = None;
    let mut uncertainty = Uncertainty::default();
    loop {
        let remaining = policy.deadline_ms.saturating_sub(elapsed);
        if remaining == 0 {
            let code = last.map_or(FailureCode::DeadlineExceeded, Failed::at_deadline);
            return Err(Undelivered {
                code: uncertainty.code(code),
                attempts,
                last_status,
                possibly_sent: uncertainty.possibly_sent,
            });
        }
        attempts = attempts.saturating_add(1);
        let timeout_ms = attempt_timeout_ms.min(remaining).max(1);
        let (code, fault) = match transport.send(request, timeout_ms) {
            Ok(response) => {
                let end = match response.body_end {
                    BodyEnd::Complete if response.body.len() > siptel::MAX_BODY_BYTES => {
                        BodyEnd::TooLong
                    }
                    end => end,
                };
                last_status = Some(response.status);
                match siptel::interpret(response.status, &response.headers, &response.body, end) {
                    Answer::Accepted(acceptance) => {
                        return Ok(Delivered {
                            acceptance,
                            attempts,
                        });
                    }
                    Answer::Unconfirmed { .. } => {
                        uncertainty.accepted_unread();
                        let fault = Fault::Retryable {
                            retry_after_ms: None,
                        };
                        (FailureCode::Unconfirmed, fault)
                    }
                    Answer::Rejected {
                        status,
                        code,
                        retryable,
                        retry_after,
                    } => {
                        let fault = if retryable {
                            Fault::Retryable {
                                retry_after_ms: retry_after.map(|r| delay_ms(r, clock)),
                            }
                        } else {
                            Fault::Final
                        };
                        if (200..300).contains(&status) {
                            // A 2xx Siptel took, with an answer we cannot read.
                            uncertainty.unanswered();
                        } else if !retryable && (400..500).contains(&status) {
                            uncertainty.refused();
                        }
                        (code, fault)
                    }
                }
            }
            Err(error) => {
                if error.may_have_arrived() {
                    uncertainty.unanswered();
                }
                let fault = if error.retryable() {
                    Fault::Retryable {
                        retry_after_ms: None,
                    }
                } else {
                    Fault::Final
                };
                (error.code(), fault)
            }
        };
        elapsed = clock.monotonic_ms().saturating_sub(start);
        let remaining = policy.deadline_ms.saturating_sub(elapsed);
        let failed = Failed {
            code,
            told_to_wait_past_deadline: matches!(
                fault,
                Fault::Retryable { retry_after_ms: Some(ms) } if ms >= remaining
            ),
        };
        last = Some(failed);
        let stop = |code| {
            Err(Undelivered {
                code: uncertainty.code(code),
                attempts,
                last_status,
                possibly_sent: uncertainty.possibly_sent,
            })
        };
        match retry::decide(policy, attempts, &fault, elapsed, entropy.next_u64()) {
            Decision::Retry { after_ms } => {
                clock.sleep_ms(after_ms);
                elapsed = clock.monotonic_ms().saturating_sub(start);
            }
            Decision::Stop(StopReason::Final | StopReason::AttemptsExhausted) => {
                return stop(failed.code);
            }
            Decision::Stop(StopReason::DeadlineExceeded) => return stop(failed.at_deadline()),
        }
    }
}

/// Milliseconds to wait for a `Retry-After` (a past date is 0).
fn delay_ms(retry_after: RetryAfter, clock: &mut impl Clock) -> u64 {
    match retry_after {
        RetryAfter::Seconds(s) => s.saturating_mul(1000),
        RetryAfter::At(at) => {
            let seconds = at.saturating_sub(clock.unix_seconds());
            u64::try_from(seconds).unwrap_or(0).saturating_mul(1000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Encoding;
    use crate::siptel::{Acceptance, BaseUrl, Payload, Submission};
    use std::cell::Cell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    /// Unix seconds of the fake clock at monotonic 0.
    const UNIX_EPOCH_OF_TEST: i64 = 1_700_000_000;

    struct FakeClock {
        now: Rc<Cell<u64>>,
        sleeps: Vec<u64>,
    }

    impl Clock for FakeClock {
        fn monotonic_ms(&mut self) -> u64 {
            self.now.get()
        }
        fn sleep_ms(&mut self, ms: u64) {
            self.sleeps.push(ms);
            self.now.set(self.now.get() + ms);
        }
        fn unix_seconds(&mut self) -> i64 {
            UNIX_EPOCH_OF_TEST + i64::try_from(self.now.get() / 1000).unwrap()
        }
    }

    /// One scripted answer: how long it takes and what it is. An answer that
    /// takes longer than the attempt's timeout becomes a `Timeout` at the
    /// timeout, as a real transport would.
    struct Step {
        takes_ms: u64,
        result: Result<Response, TransportError>,
    }

    struct FakeTransport {
        now: Rc<Cell<u64>>,
        script: VecDeque<Step>,
        requests: Vec<siptel::Request>,
        timeouts: Vec<u64>,
    }

    impl Transport for FakeTransport {
        fn send(
            &mut self,
            request: &siptel::Request,
            timeout_ms: u64,
        ) -> Result<Response, TransportError> {
            self.requests.push(request.clone());
            self.timeouts.push(timeout_ms);
            let step = self.script.pop_front().expect("script ran out");
            if step.takes_ms > timeout_ms {
                self.now.set(self.now.get() + timeout_ms);
                return Err(TransportError::Timeout);
            }
            self.now.set(self.now.get() + step.takes_ms);
            step.result
        }
    }

    struct Zero;

    impl Entropy for Zero {
        fn next_u64(&mut self) -> u64 {
            0
        }
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Step {
        Step {
            takes_ms: 50,
            result: Ok(Response {
                status,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                body: body.as_bytes().to_vec(),
                body_end: BodyEnd::Complete,
            }),
        }
    }

    fn created() -> Step {
        answer(
            201,
            &[("Content-Type", "application/json")],
            r#"{"id":"sms_1","status":"queued","segments":1}"#,
        )
    }

    fn error(status: u16, code: &str) -> Step {
        answer(
            status,
            &[],
            &format!(r#"{{"error":{{"code":"{code}","message":"m"}}}}"#),
        )
    }

    fn fails(error: TransportError) -> Step {
        Step {
            takes_ms: 10,
            result: Err(error),
        }
    }

    fn hangs() -> Step {
        Step {
            takes_ms: u64::MAX,
            result: Err(TransportError::Other),
        }
    }

    fn the_request() -> siptel::Request {
        siptel::request(
            &BaseUrl::default(),
            &Submission {
                api_key: &"k3y".into(),
                rut: None,
                idempotency_key: "sms-test-key",
                sender: "56961234567",
                recipient: "56987654321",
                payload: Payload::Message {
                    text: "hola",
                    encoding: Encoding::Gsm7,
                },
            },
        )
    }

    struct Run {
        result: Result<Delivered, Undelivered>,
        requests: Vec<siptel::Request>,
        timeouts: Vec<u64>,
        sleeps: Vec<u64>,
        elapsed: u64,
    }

    fn run(policy: retry::Policy, attempt_timeout_ms: u64, script: Vec<Step>) -> Run {
        let now = Rc::new(Cell::new(0));
        let mut transport = FakeTransport {
            now: now.clone(),
            script: script.into(),
            requests: Vec::new(),
            timeouts: Vec::new(),
        };
        let mut clock = FakeClock {
            now: now.clone(),
            sleeps: Vec::new(),
        };
        let request = the_request();
        let result = deliver(
            &request,
            &policy,
            attempt_timeout_ms,
            &mut transport,
            &mut clock,
            &mut Zero,
        );
        assert!(transport.script.is_empty(), "unused script steps");
        for sent in &transport.requests {
            assert_eq!(sent, &request);
        }
        Run {
            result,
            requests: transport.requests,
            timeouts: transport.timeouts,
            sleeps: clock.sleeps,
            elapsed: now.get(),
        }
    }

    fn accepted() -> Acceptance {
        Acceptance {
            id: "sms_1".into(),
            status: "queued".into(),
            segments: 1,
            campaign: None,
        }
    }

    fn undelivered(code: FailureCode, attempts: u32, last_status: Option<u16>) -> Undelivered {
        Undelivered {
            code,
            attempts,
            last_status,
            possibly_sent: false,
        }
    }

    /// [`undelivered`] after an attempt that may have reached Siptel.
    fn maybe_sent(code: FailureCode, attempts: u32, last_status: Option<u16>) -> Undelivered {
        Undelivered {
            possibly_sent: true,
            ..undelivered(code, attempts, last_status)
        }
    }

    /// A 201 whose body ends as `end` after a few bytes.
    fn created_but(end: BodyEnd) -> Step {
        let mut step = created();
        if let Ok(response) = &mut step.result {
            response.body.truncate(10);
            response.body_end = end;
        }
        step
    }

    #[test]
    fn a_cut_or_stalled_201_is_retried_with_the_same_key_and_confirmed() {
        for end in [BodyEnd::Cut, BodyEnd::Stalled] {
            let r = run(
                retry::Policy::default(),
                10_000,
                vec![created_but(end), created()],
            );
            assert_eq!(r.result.map(|d| d.attempts), Ok(2));
            assert_eq!(r.requests[0], r.requests[1]);
        }
    }

    #[test]
    fn an_unconfirmed_201_is_never_reported_as_not_sent() {
        let r = run(
            retry::Policy::new(3, 30_000),
            10_000,
            vec![created_but(BodyEnd::Cut), error(503, "x"), hangs()],
        );
        assert_eq!(
            r.result,
            Err(maybe_sent(FailureCode::Unconfirmed, 3, Some(503)))
        );
        // Alone, out of attempts: the 2xx is the last status recorded.
        let r = run(
            retry::Policy::new(1, 30_000),
            10_000,
            vec![created_but(BodyEnd::Stalled)],
        );
        assert_eq!(
            r.result,
            Err(maybe_sent(FailureCode::Unconfirmed, 1, Some(201)))
        );
        // Out of time after it.
        let r = run(
            retry::Policy::new(10, 20_000),
            10_000,
            vec![created_but(BodyEnd::Cut), hangs(), hangs()],
        );
        assert_eq!(r.result.unwrap_err().code, FailureCode::Unconfirmed);
    }

    #[test]
    fn a_201_that_cannot_be_read_may_have_been_sent() {
        let r = run(
            retry::Policy::default(),
            10_000,
            vec![answer(201, &[], "<html>ok</html>")],
        );
        assert_eq!(
            r.result,
            Err(maybe_sent(FailureCode::MalformedResponse, 1, Some(201)))
        );
    }

    #[test]
    fn a_final_refusal_after_a_timeout_settles_that_nothing_was_sent() {
        let r = run(
            retry::Policy::default(),
            10_000,
            vec![hangs(), error(401, "invalid_api_key")],
        );
        assert_eq!(
            r.result,
            Err(undelivered(FailureCode::InvalidApiKey, 2, Some(401)))
        );
        // A 503 settles nothing.
        let r = run(
            retry::Policy::new(2, 30_000),
            10_000,
            vec![hangs(), error(503, "x")],
        );
        assert_eq!(
            r.result,
            Err(maybe_sent(FailureCode::ServerError, 2, Some(503)))
        );
    }

    #[test]
    fn an_unreachable_siptel_got_nothing() {
        let r = run(
            retry::Policy::new(2, 30_000),
            10_000,
            vec![
                fails(TransportError::Unreachable),
                fails(TransportError::Unreachable),
            ],
        );
        assert_eq!(
            r.result,
            Err(undelivered(FailureCode::ConnectionFailed, 2, None))
        );
        let r = run(
            retry::Policy::new(2, 30_000),
            10_000,
            vec![
                fails(TransportError::Unreachable),
                fails(TransportError::ConnectionLost),
            ],
        );
        assert_eq!(
            r.result,
            Err(maybe_sent(FailureCode::ConnectionFailed, 2, None))
        );
    }

    #[test]
    fn first_try_201() {
        let r = run(retry::Policy::default(), 10_000, vec![created()]);
        assert_eq!(
            r.result,
            Ok(Delivered {
                acceptance: accepted(),
                attempts: 1
            })
        );
        assert_eq!(r.timeouts, [10_000]);
        assert!(r.sleeps.is_empty());
    }

    #[test]
    fn retries_503_503_then_201_with_the_same_request() {
        let r = run(
            retry::Policy::default(),
            10_000,
            vec![error(503, "x"), answer(503, &[], "<html>"), created()],
        );
        assert_eq!(
            r.result,
            Ok(Delivered {
                acceptance: accepted(),
                attempts: 3
            })
        );
        assert_eq!(r.requests.len(), 3);
        for sent in &r.requests {
            assert_eq!(sent.header("Idempotency-Key"), Some("sms-test-key"));
        }
        // Equal jitter with a zero draw: half of 250, then half of 500.
        assert_eq!(r.sleeps, [125, 250]);
    }

    #[test]
    fn waits_for_429_retry_after_seconds() {
        let r = run(
            retry::Policy::default(),
            10_000,
            vec![answer(429, &[("retry-after", "3")], ""), created()],
        );
        assert_eq!(r.result.map(|d| d.attempts), Ok(2));
        assert_eq!(r.sleeps, [3_000]);
    }

    #[test]
    fn waits_for_retry_after_date() {
        // The answer comes at 50 ms, i.e. Unix UNIX_EPOCH_OF_TEST; the date is 4 s later.
        let date = "Tue, 14 Nov 2023 22:13:24 GMT";
        assert_eq!(
            siptel::parse_retry_after(date),
            Some(RetryAfter::At(UNIX_EPOCH_OF_TEST + 4))
        );
        let r = run(
            retry::Policy::default(),
            10_000,
            vec![answer(503, &[("Retry-After", date)], ""), created()],
        );
        assert_eq!(r.result.map(|d| d.attempts), Ok(2));
        assert_eq!(r.sleeps, [4_000]);
        // A date in the past means no extra wait: the backoff applies.
        let past = "Sun, 06 Nov 1994 08:49:37 GMT";
        let r = run(
            retry::Policy::default(),
            10_000,
            vec![answer(429, &[("Retry-After", past)], ""), created()],
        );
        assert_eq!(r.sleeps, [125]);
    }

    #[test]
    fn final_answers_are_not_retried() {
        use FailureCode::*;
        for (status, code, expected) in [
            (400, "invalid_number", InvalidNumber),
            (401, "invalid_api_key", InvalidApiKey),
            (402, "insufficient_balance", InsufficientBalance),
            (403, "ip_not_authorized", IpNotAuthorized),
            (404, "campaign_not_found", CampaignNotFound),
            (409, "idempotency_conflict", IdempotencyConflict),
            (422, "missing_variable", MissingVariable),
            (418, "teapot", UnexpectedStatus),
        ] {
            let r = run(
                retry::Policy::new(10, 30_000),
                10_000,
                vec![error(status, code)],
            );
            assert_eq!(r.result, Err(undelivered(expected, 1, Some(status))));
            assert!(r.sleeps.is_empty());
        }
    }

    #[test]
    fn malformed_success_is_not_retried() {
        let r = run(
            retry::Policy::default(),
            10_000,
            vec![answer(201, &[], r#"{"status":"queued"}"#)],
        );
        assert_eq!(
            r.result,
            Err(maybe_sent(FailureCode::MalformedResponse, 1, Some(201)))
        );
        let mut oversized = created();
        if let Ok(response) = &mut oversized.result {
            response.body.resize(siptel::MAX_BODY_BYTES + 1, b' ');
        }
        let r = run(retry::Policy::default(), 10_000, vec![oversized]);
        assert_eq!(
            r.result,
            Err(maybe_sent(FailureCode::MalformedResponse, 1, Some(201)))
        );
    }

    #[test]
    fn timeout_then_success() {
        let r = run(retry::Policy::default(), 10_000, vec![hangs(), created()]);
        assert_eq!(r.result.map(|d| d.attempts), Ok(2));
        assert_eq!(r.timeouts, [10_000, 10_000]);
        assert_eq!(r.sleeps, [125]);
    }

    #[test]
    fn connection_failure_is_retried() {
        let r = run(
            retry::Policy::default(),
            10_000,
            vec![fails(TransportError::ConnectionLost), created()],
        );
        assert_eq!(r.result.map(|d| d.attempts), Ok(2));
    }

    #[test]
    fn denied_and_other_transport_errors_are_final() {
        for (error, code) in [
            (TransportError::Denied, FailureCode::RequestDenied),
            (TransportError::Other, FailureCode::RequestDenied),
        ] {
            let r = run(retry::Policy::default(), 10_000, vec![fails(error)]);
            assert_eq!(r.result, Err(undelivered(code, 1, None)));
        }
    }

    #[test]
    fn attempts_exhausted() {
        let r = run(
            retry::Policy::new(3, 30_000),
            10_000,
            vec![error(502, "x"), error(503, "x"), error(500, "x")],
        );
        assert_eq!(
            r.result,
            Err(undelivered(FailureCode::ServerError, 3, Some(500)))
        );
        assert_eq!(r.sleeps, [125, 250]);

        let r = run(
            retry::Policy::new(2, 30_000),
            10_000,
            vec![error(429, "rate_limited"), error(429, "rate_limited")],
        );
        assert_eq!(
            r.result,
            Err(undelivered(FailureCode::RateLimited, 2, Some(429)))
        );
    }

    #[test]
    fn last_status_survives_a_later_timeout() {
        let r = run(
            retry::Policy::new(2, 30_000),
            10_000,
            vec![error(503, "x"), hangs()],
        );
        assert_eq!(
            r.result,
            Err(maybe_sent(FailureCode::Timeout, 2, Some(503)))
        );
    }

    #[test]
    fn retry_after_beyond_deadline_is_rate_limited() {
        let r = run(
            retry::Policy::new(5, 30_000),
            10_000,
            vec![answer(429, &[("Retry-After", "60")], "")],
        );
        assert_eq!(
            r.result,
            Err(undelivered(FailureCode::RateLimited, 1, Some(429)))
        );
        assert!(r.sleeps.is_empty());
        // The same from a 503: Siptel asked to wait longer than the budget.
        let r = run(
            retry::Policy::new(5, 30_000),
            10_000,
            vec![answer(503, &[("Retry-After", "31")], "")],
        );
        assert_eq!(
            r.result,
            Err(undelivered(FailureCode::RateLimited, 1, Some(503)))
        );
    }

    #[test]
    fn deadline_stops_the_loop() {
        let r = run(
            retry::Policy::new(10, 25_000),
            10_000,
            vec![hangs(), hangs(), hangs()],
        );
        assert_eq!(
            r.result,
            Err(maybe_sent(FailureCode::DeadlineExceeded, 3, None))
        );
        // The third attempt only gets what is left: 25000 - 10000 - 125 - 10000 - 250.
        assert_eq!(r.timeouts, [10_000, 10_000, 4_625]);
        assert_eq!(r.sleeps, [125, 250]);
        assert_eq!(r.elapsed, 25_000);
    }

    #[test]
    fn deadline_after_server_errors() {
        // Each 503 takes 9.1 s: after the third (27.675 s) the next wait
        // (500..=1000 ms) does not fit in the 325 ms left.
        let slow_503 = || Step {
            takes_ms: 9_100,
            ..error(503, "x")
        };
        let r = run(
            retry::Policy::new(10, 28_000),
            10_000,
            vec![slow_503(), slow_503(), slow_503()],
        );
        assert_eq!(
            r.result,
            Err(undelivered(FailureCode::DeadlineExceeded, 3, Some(503)))
        );
        assert!(r.elapsed < 28_000);
    }

    #[test]
    fn spent_budget_sends_nothing() {
        let r = run(retry::Policy::new(3, 0), 10_000, vec![]);
        assert_eq!(
            r.result,
            Err(undelivered(FailureCode::DeadlineExceeded, 0, None))
        );
        assert!(r.requests.is_empty());
    }

    #[test]
    fn transport_error_codes() {
        use TransportError::*;
        assert!(Timeout.retryable() && ConnectionLost.retryable() && Unreachable.retryable());
        assert!(!Denied.retryable() && !Other.retryable());
        assert!(Timeout.may_have_arrived() && ConnectionLost.may_have_arrived());
        assert!(!Unreachable.may_have_arrived() && !Denied.may_have_arrived());
        assert!(!Other.may_have_arrived());
        assert_eq!(Timeout.code(), FailureCode::Timeout);
        assert_eq!(ConnectionLost.code(), FailureCode::ConnectionFailed);
        assert_eq!(Unreachable.code(), FailureCode::ConnectionFailed);
        assert_eq!(Denied.code(), FailureCode::RequestDenied);
        // Final, so not the retried `connection-failed`.
        assert_eq!(Other.code(), FailureCode::RequestDenied);
    }
}
