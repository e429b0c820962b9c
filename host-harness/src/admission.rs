//! Who gets an instance slot, and how long they wait.
//!
//! One platform runs many tenants' flows through one `SiptelSms`, so no call
//! may queue without bound behind another tenant's work. A call is admitted
//! when it holds, in this order, a permit of its tenant's share
//! (`Limits::tenant_slots`), for a send a permit of the sends' share (every
//! slot but `Limits::quick_reserve`), and a slot; it waits at most
//! `Limits::slot_wait` for all of them, then fails `HostError::Busy`.
//! Permits are released when the call's [`Ticket`] drops (after its store).

use crate::options::Limits;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What a call needs of the host's capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// `send`: may wait on Siptel for seconds.
    Send,
    /// `check`, `preview`, `describe`, `instantiate`: milliseconds.
    Quick,
}

/// The host's slots and the shares of them.
pub(crate) struct Admission {
    slots: Arc<Semaphore>,
    sends: Arc<Semaphore>,
    tenant_slots: usize,
    wait: Duration,
    tenants: Arc<Mutex<Tenants>>,
}

/// Each tenant with calls running or waiting: its share and how many calls
/// use it.
type Tenants = HashMap<String, (Arc<Semaphore>, usize)>;

/// A call's right to run; dropping it frees what it holds.
pub(crate) struct Ticket {
    _slot: OwnedSemaphorePermit,
    _send: Option<OwnedSemaphorePermit>,
    _tenant: Option<TenantPermit>,
}

/// A call's use of one tenant's share (waiting for a permit, then holding
/// it); the last user out removes the tenant's entry, so the map holds only
/// tenants with calls running or waiting.
struct TenantPermit {
    tenant: String,
    permit: Option<OwnedSemaphorePermit>,
    tenants: Arc<Mutex<Tenants>>,
}

impl Drop for TenantPermit {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, users)) = tenants.get_mut(&self.tenant) {
            *users -= 1;
            if *users == 0 {
                tenants.remove(&self.tenant);
            }
        }
    }
}

impl Admission {
    pub(crate) fn new(limits: &Limits) -> Admission {
        let slots = limits.concurrent_calls.max(1) as usize;
        let reserve = (limits.quick_reserve as usize).min(slots - 1);
        Admission {
            slots: Arc::new(Semaphore::new(slots)),
            sends: Arc::new(Semaphore::new(slots - reserve)),
            tenant_slots: (limits.tenant_slots.max(1) as usize).min(slots),
            wait: limits.slot_wait,
            tenants: Arc::default(),
        }
    }

    /// Waits at most `slot_wait` for everything a call of `kind` for
    /// `tenant` needs; `Err` with the time waited when it did not come.
    pub(crate) async fn admit(
        &self,
        kind: CallKind,
        tenant: Option<&str>,
    ) -> Result<Ticket, Duration> {
        let acquire = async {
            let tenant = match tenant {
                Some(name) => Some(self.tenant_permit(name).await?),
                None => None,
            };
            let send = match kind {
                CallKind::Send => Some(Arc::clone(&self.sends).acquire_owned().await.ok()?),
                CallKind::Quick => None,
            };
            let slot = Arc::clone(&self.slots).acquire_owned().await.ok()?;
            Some(Ticket {
                _slot: slot,
                _send: send,
                _tenant: tenant,
            })
        };
        match tokio::time::timeout(self.wait, acquire).await {
            Ok(Some(ticket)) => Ok(ticket),
            // The semaphores are never closed; a timeout is the only way here.
            Ok(None) | Err(_) => Err(self.wait),
        }
    }

    async fn tenant_permit(&self, tenant: &str) -> Option<TenantPermit> {
        let share = {
            let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
            let (share, users) = tenants
                .entry(tenant.to_owned())
                .or_insert_with(|| (Arc::new(Semaphore::new(self.tenant_slots)), 0));
            *users += 1;
            Arc::clone(share)
        };
        // Counted before waiting, so a wait cut short by the timeout still
        // gives its use back.
        let mut permit = TenantPermit {
            tenant: tenant.to_owned(),
            permit: None,
            tenants: Arc::clone(&self.tenants),
        };
        permit.permit = Some(share.acquire_owned().await.ok()?);
        Some(permit)
    }

    /// Tenants with calls running or waiting (for tests of the bookkeeping).
    #[cfg(test)]
    fn tenants_tracked(&self) -> usize {
        self.tenants.lock().map(|t| t.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(slots: u32, reserve: u32, tenant_slots: u32) -> Limits {
        Limits {
            concurrent_calls: slots,
            quick_reserve: reserve,
            tenant_slots,
            slot_wait: Duration::from_millis(50),
            ..Limits::default()
        }
    }

    #[tokio::test]
    async fn sends_never_take_the_quick_reserve() {
        let admission = Admission::new(&limits(4, 1, 4));
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(admission.admit(CallKind::Send, None).await.unwrap());
        }
        assert!(admission.admit(CallKind::Send, None).await.is_err());
        let quick = admission.admit(CallKind::Quick, None).await.unwrap();
        assert!(admission.admit(CallKind::Quick, None).await.is_err());
        drop(quick);
        drop(held.pop());
        assert!(admission.admit(CallKind::Send, None).await.is_ok());
    }

    #[tokio::test]
    async fn one_tenant_holds_at_most_its_share() {
        let admission = Admission::new(&limits(8, 0, 2));
        let a1 = admission.admit(CallKind::Send, Some("a")).await.unwrap();
        let _a2 = admission.admit(CallKind::Send, Some("a")).await.unwrap();
        let waited = admission.admit(CallKind::Quick, Some("a")).await;
        assert_eq!(waited.err(), Some(Duration::from_millis(50)));
        // Another tenant, and a call without tenant, still run.
        let _b = admission.admit(CallKind::Send, Some("b")).await.unwrap();
        let _anon = admission.admit(CallKind::Send, None).await.unwrap();
        drop(a1);
        assert!(admission.admit(CallKind::Send, Some("a")).await.is_ok());
    }

    #[tokio::test]
    async fn idle_tenants_are_forgotten() {
        let admission = Admission::new(&limits(8, 0, 1));
        for i in 0..100 {
            let ticket = admission
                .admit(CallKind::Quick, Some(&format!("t{i}")))
                .await
                .unwrap();
            drop(ticket);
        }
        let held = admission.admit(CallKind::Quick, Some("x")).await.unwrap();
        // A wait that timed out leaves nothing behind either.
        assert!(admission.admit(CallKind::Quick, Some("x")).await.is_err());
        assert_eq!(admission.tenants_tracked(), 1);
        drop(held);
        assert_eq!(admission.tenants_tracked(), 0);
    }
}
