//! What the service counts, in Prometheus' registry types
//! (`prometheus-client`): one registry per [`SiptelSmsService`], no global
//! state, so embedders and tests may run several services in one process.
//! Served by the service itself as `GET /metrics` (OpenMetrics text, which
//! Prometheus scrapes).
//!
//! No label carries a tenant, a token, a key or anything of a body: labels
//! are the route, the send outcome and a code from a bounded set.
//!
//! [`SiptelSmsService`]: crate::SiptelSmsService

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

/// The content type of [`Metrics::encode`]'s text.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Distinct `code` label values kept; later ones count as `other`, so a
/// component that answered made-up codes could not grow the series without
/// bound.
const MAX_CODES: usize = 64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SendLabels {
    outcome: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ShedLabels {
    reason: &'static str,
}

/// The service's counters, gauges and histograms.
pub(crate) struct Metrics {
    registry: Registry,
    sends: Family<SendLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    slot_wait: Histogram,
    busy: Counter,
    egress_refused: Counter,
    in_flight: Gauge,
    connections: Gauge,
    shed: Family<ShedLabels, Counter>,
    codes: Mutex<BTreeSet<String>>,
}

/// Why a connection was shed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShedReason {
    /// The service holds `ServeOptions::max_connections`.
    Total,
    /// The client's IP holds `ServeOptions::max_connections_per_ip`.
    PerIp,
    /// An open connection that had sent no request yet was closed to make
    /// room for a new one at `ServeOptions::max_connections`.
    IdleEvicted,
}

impl ShedReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ShedReason::Total => "total",
            ShedReason::PerIp => "per-ip",
            ShedReason::IdleEvicted => "idle-evicted",
        }
    }
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::with_prefix("siptel_sms");
        let sends = Family::<SendLabels, Counter>::default();
        registry.register(
            "sends",
            "Sends answered, by outcome (sent, blocked, invalid, failed; error: the host \
             answered) and code (failure code, block reason or error code)",
            sends.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram);
        registry.register(
            "request_duration_seconds",
            "Time from a request's arrival to its response head, by route",
            latency.clone(),
        );
        let slot_wait = latency_histogram();
        registry.register(
            "slot_wait_seconds",
            "Time requests waited for an instance slot (admitted or refused)",
            slot_wait.clone(),
        );
        let busy = Counter::default();
        registry.register(
            "busy_refusals",
            "Requests refused 503 busy: no instance slot within the slot wait",
            busy.clone(),
        );
        let egress_refused = Counter::default();
        registry.register(
            "egress_refusals",
            "Outgoing requests of the component refused by the egress policy",
            egress_refused.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "requests_in_flight",
            "Requests received and not yet answered (response head not sent)",
            in_flight.clone(),
        );
        let connections = Gauge::default();
        registry.register(
            "connections_open",
            "Client connections being served",
            connections.clone(),
        );
        let shed = Family::<ShedLabels, Counter>::default();
        registry.register(
            "connections_shed",
            "Connections closed by the connection limits: new ones answered 503 \
             at the total or per-IP cap (total, per-ip), or open ones without a \
             request closed to make room at the total cap (idle-evicted)",
            shed.clone(),
        );
        Metrics {
            registry,
            sends,
            latency,
            slot_wait,
            busy,
            egress_refused,
            in_flight,
            connections,
            shed,
            codes: Mutex::default(),
        }
    }

    /// Counts a send answered with `outcome` (`None`: the host answered,
    /// counted as `error`) and `code`.
    pub(crate) fn send(&self, outcome: Option<&str>, code: Option<&str>) {
        let outcome = match outcome {
            Some(o @ ("sent" | "blocked" | "invalid" | "failed")) => o,
            Some(_) => "other",
            None => "error",
        };
        let labels = SendLabels {
            outcome: outcome.to_owned(),
            code: self.code_label(code.unwrap_or_default()),
        };
        self.sends.get_or_create(&labels).inc();
    }

    /// `code` as a label value: a short kebab-case word, one of the first
    /// [`MAX_CODES`] seen, else `other`.
    fn code_label(&self, code: &str) -> String {
        let word = code.len() <= 40
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !word {
            return "other".into();
        }
        let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        if codes.contains(code) || codes.len() < MAX_CODES && codes.insert(code.to_owned()) {
            code.to_owned()
        } else {
            "other".into()
        }
    }

    pub(crate) fn latency(&self, route: &'static str, elapsed: Duration) {
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(elapsed.as_secs_f64());
    }

    pub(crate) fn slot_wait(&self, waited: Duration) {
        self.slot_wait.observe(waited.as_secs_f64());
    }

    pub(crate) fn busy(&self) {
        self.busy.inc();
    }

    pub(crate) fn egress_refused(&self, refused: usize) {
        self.egress_refused.inc_by(refused as u64);
    }

    /// Counts a request in flight until the guard drops.
    pub(crate) fn in_flight(&self) -> GaugeGuard {
        GaugeGuard::new(&self.in_flight)
    }

    /// Counts a connection open until the guard drops.
    pub(crate) fn connection(&self) -> GaugeGuard {
        GaugeGuard::new(&self.connections)
    }

    pub(crate) fn shed(&self, reason: ShedReason) {
        self.shed
            .get_or_create(&ShedLabels {
                reason: reason.as_str(),
            })
            .inc();
    }

    /// Every metric as OpenMetrics text.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Latency buckets from 1 ms to about 5.5 min (sends wait on Siptel).
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 19))
}

/// Decrements its gauge when dropped.
pub(crate) struct GaugeGuard(Gauge);

impl GaugeGuard {
    fn new(gauge: &Gauge) -> GaugeGuard {
        gauge.inc();
        GaugeGuard(gauge.clone())
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_are_counted_by_outcome_and_a_bounded_code() {
        let metrics = Metrics::new();
        metrics.send(Some("sent"), None);
        metrics.send(Some("failed"), Some("insufficient-balance"));
        metrics.send(None, Some("busy"));
        metrics.send(Some("failed"), Some("Bearer abc"));
        let text = metrics.encode();
        assert!(
            text.contains(r#"siptel_sms_sends_total{outcome="sent",code=""} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"siptel_sms_sends_total{outcome="failed",code="insufficient-balance"} 1"#
            )
        );
        assert!(text.contains(r#"siptel_sms_sends_total{outcome="error",code="busy"} 1"#));
        assert!(text.contains(r#"siptel_sms_sends_total{outcome="failed",code="other"} 1"#));
        for n in 0..2 * MAX_CODES {
            metrics.send(Some("failed"), Some(&format!("code-{n}")));
        }
        let series = metrics.encode().matches("siptel_sms_sends_total{").count();
        assert!(series <= MAX_CODES + 4, "{series}");
    }

    #[test]
    fn guards_count_what_is_open() {
        let metrics = Metrics::new();
        let a = metrics.in_flight();
        let _b = metrics.in_flight();
        drop(a);
        assert!(
            metrics
                .encode()
                .contains("siptel_sms_requests_in_flight 1\n")
        );
    }
}
