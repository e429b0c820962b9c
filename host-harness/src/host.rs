//! Loading the component once and calling it in sandboxed, per-call stores.

use crate::admission::CallKind;
use crate::bindings::SmsActionPre;
use crate::bindings::siptel::sms::{form as wit_form, types as wit};
use crate::error::{Called, Failed, HostError, LoadError};
use crate::options::{CallOptions, HostOptions};
use crate::sandbox::{self, CallSetup, CallState, Sandbox};
use crate::secrets::Grant;
use siptel_sms::config::{self, MAX_PROBLEMS};
use siptel_sms::model::{ActionForm, Config, Entity, FieldId, Outcome, Problem, SendPreview};
use siptel_sms::secret::{self, Secret, SecretError};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};
use wasmtime::Store;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, InstancePre, Lift, Linker,
    Lower, TypedFunc,
};
use wasmtime_wasi::p2::bindings::clocks::wall_clock::Datetime;

/// What the component sees instead of a `secret:` reference this call may
/// not use, while the host collects the config's other problems: a literal
/// key that passes validation and is never sent (only `check` and `preview`
/// run with it).
const WITHHELD_KEY: &str = "secret-withheld-by-host";

/// The loaded component: compile once, call many times, from many tasks.
pub struct SiptelSms {
    sandbox: Sandbox,
    pre: InstancePre<CallState>,
    exports: Exports,
}

impl SiptelSms {
    /// Loads the component embedded in this crate ([`crate::ACTION_WASM`]).
    pub fn builtin(options: HostOptions) -> Result<Self, HostError> {
        Self::from_bytes(crate::ACTION_WASM, options)
    }

    /// Loads a component from a `.wasm` file.
    pub fn from_file(path: impl AsRef<Path>, options: HostOptions) -> Result<Self, HostError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|error| LoadError::Read {
            path: path.to_owned(),
            error,
        })?;
        Self::from_bytes(&bytes, options)
    }

    /// Loads a component from its bytes.
    pub fn from_bytes(wasm: &[u8], options: HostOptions) -> Result<Self, HostError> {
        let sandbox = Sandbox::new(options)?;
        let component = sandbox.compile(wasm)?;
        let mut linker = Linker::<CallState>::new(sandbox.engine());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(LoadError::from)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(LoadError::from)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(LoadError::from)?;
        // Type-checks every export against the world once, here.
        SmsActionPre::new(pre.clone()).map_err(LoadError::from)?;
        let exports = Exports::find(&component).map_err(LoadError::from)?;
        Ok(SiptelSms {
            sandbox,
            pre,
            exports,
        })
    }

    /// The options every call runs under.
    pub fn options(&self) -> &HostOptions {
        &self.sandbox.options
    }

    /// Whether calls run on the pooling allocator (see [`HostOptions::pooling`]).
    pub fn pooling(&self) -> bool {
        self.sandbox.pooled()
    }

    /// `send`: validates, checks the window, sends through Siptel.
    pub async fn send(
        &self,
        config: &Config,
        entities: &[Entity],
        options: &CallOptions,
    ) -> Result<Called<Outcome>, Failed> {
        if let Some(refusal) = self.secret_refusal(config, options) {
            return self
                .with_other_problems(refusal, config, Some(entities), options)
                .await
                .map(|called| called.map(|problems| Outcome::Invalid { problems }));
        }
        let deadline_ms = config.deadline_ms.unwrap_or(config::DEADLINE_MS.default);
        let timeout = sandbox::send_timeout(&self.sandbox.options.limits, deadline_ms);
        let (config, entities) = self.prepared(config, entities, options);
        let api_key = config.api_key.clone();
        let (wit_config, wit_entities) = (wit::Config::from(config), wit_entities(&entities));
        let scrub = (&api_key, entities.as_slice());
        self.call(
            CallKind::Send,
            options,
            timeout,
            Some(scrub),
            async |instance, store| {
                let (outcome,) = invoke::<(&wit::Config, &[wit::Entity]), (wit::Outcome,)>(
                    instance,
                    store,
                    &self.exports.send,
                    (&wit_config, &wit_entities),
                )
                .await?;
                Ok(outcome.into())
            },
        )
        .await
    }

    /// `check`: design-time validation.
    pub async fn check(
        &self,
        config: &Config,
        options: &CallOptions,
    ) -> Result<Called<Vec<Problem>>, Failed> {
        if let Some(refusal) = self.secret_refusal(config, options) {
            return self
                .with_other_problems(refusal, config, None, options)
                .await;
        }
        self.guest_check(config, options).await
    }

    async fn guest_check(
        &self,
        config: &Config,
        options: &CallOptions,
    ) -> Result<Called<Vec<Problem>>, Failed> {
        let (config, _) = self.prepared(config, &[], options);
        let api_key = config.api_key.clone();
        let wit_config = wit::Config::from(config);
        let timeout = self.sandbox.options.limits.call_timeout;
        let scrub = (&api_key, &[][..]);
        self.call(
            CallKind::Quick,
            options,
            timeout,
            Some(scrub),
            async |instance, store| {
                let (problems,) = invoke::<(&wit::Config,), (Vec<wit::Problem>,)>(
                    instance,
                    store,
                    &self.exports.check,
                    (&wit_config,),
                )
                .await?;
                Ok(problems.into_iter().map(Into::into).collect())
            },
        )
        .await
    }

    /// `preview`: what `send` would do at `options.wall_clock` (default:
    /// now), without network.
    pub async fn preview(
        &self,
        config: &Config,
        entities: &[Entity],
        options: &CallOptions,
    ) -> Result<Called<Result<SendPreview, Vec<Problem>>>, Failed> {
        if let Some(refusal) = self.secret_refusal(config, options) {
            return self
                .with_other_problems(refusal, config, Some(entities), options)
                .await
                .map(|called| called.map(Err));
        }
        self.guest_preview(config, entities, options).await
    }

    async fn guest_preview(
        &self,
        config: &Config,
        entities: &[Entity],
        options: &CallOptions,
    ) -> Result<Called<Result<SendPreview, Vec<Problem>>>, Failed> {
        let (config, entities) = self.prepared(config, entities, options);
        let api_key = config.api_key.clone();
        let (wit_config, wit_entities) = (wit::Config::from(config), wit_entities(&entities));
        let at = options.wall_clock.map(|at| {
            let since_epoch = at.duration_since(UNIX_EPOCH).unwrap_or_default();
            Datetime {
                seconds: since_epoch.as_secs(),
                nanoseconds: 0,
            }
        });
        let timeout = self.sandbox.options.limits.call_timeout;
        let scrub = (&api_key, entities.as_slice());
        self.call(
            CallKind::Quick,
            options,
            timeout,
            Some(scrub),
            async |instance, store| {
                type Answer = Result<wit::SendPreview, Vec<wit::Problem>>;
                let (answer,) =
                    invoke::<(&wit::Config, &[wit::Entity], Option<Datetime>), (Answer,)>(
                        instance,
                        store,
                        &self.exports.preview,
                        (&wit_config, &wit_entities, at),
                    )
                    .await?;
                Ok(answer
                    .map(Into::into)
                    .map_err(|problems| problems.into_iter().map(Into::into).collect()))
            },
        )
        .await
    }

    /// `describe`: the action's form.
    pub async fn describe(&self, options: &CallOptions) -> Result<Called<ActionForm>, Failed> {
        let timeout = self.sandbox.options.limits.call_timeout;
        self.call(
            CallKind::Quick,
            options,
            timeout,
            None,
            async |instance, store| {
                let (form,) = invoke::<(), (wit_form::ActionForm,)>(
                    instance,
                    store,
                    &self.exports.describe,
                    (),
                )
                .await?;
                Ok(form.into())
            },
        )
        .await
    }

    /// Instantiates the component in a call's sandbox and drops it, calling
    /// no export: a readiness check (the component links and fits the
    /// limits) that costs what every call pays before its export runs.
    pub async fn instantiate(&self) -> Result<(), Failed> {
        let timeout = self.sandbox.options.limits.call_timeout;
        self.call(
            CallKind::Quick,
            &CallOptions::default(),
            timeout,
            None,
            async |_instance, _store| Ok(()),
        )
        .await
        .map(|_| ())
    }

    /// `config` and `entities` bounded (`config::bounded`), the config aimed
    /// at the call's Siptel when it names no `base-url`: the host decides
    /// where Siptel is, so such a config goes there, not to the component's
    /// production default (which the egress scope would refuse).
    fn prepared(
        &self,
        config: &Config,
        entities: &[Entity],
        options: &CallOptions,
    ) -> (Config, Vec<Entity>) {
        let (mut config, entities) = config::bounded(config, entities);
        if config.base_url.is_none() {
            let host = &self.sandbox.options.siptel_base_url;
            config.base_url = Some(options.siptel_base_url.as_ref().unwrap_or(host).clone());
        }
        (config, entities)
    }

    /// The problem of a config whose `secret:<name>` this call may not use
    /// (not granted by `options.secrets`, or not held by the host: the same
    /// answer, so a tenant cannot probe for other tenants' names). A
    /// malformed reference is left to the component, which explains it.
    fn secret_refusal(&self, config: &Config, options: &CallOptions) -> Option<Problem> {
        let name = secret::reference(config.api_key.expose())?;
        let granted = Grant::new(&options.secrets);
        if !secret::is_valid_name(name) || granted.allows(name, &self.sandbox.vault) {
            return None;
        }
        let error = SecretError::NotGranted {
            name: name.to_owned(),
        };
        let lang = config.language.unwrap_or_default();
        Some(Problem::of(FieldId::ApiKey, &error, lang))
    }

    /// `refusal` and every other problem of the config, found by the
    /// component with the refused reference withheld: `check` at design
    /// time (`entities` `None`), else `preview`. Nothing is sent.
    async fn with_other_problems(
        &self,
        refusal: Problem,
        config: &Config,
        entities: Option<&[Entity]>,
        options: &CallOptions,
    ) -> Result<Called<Vec<Problem>>, Failed> {
        let withheld = Config {
            api_key: Secret::from(WITHHELD_KEY),
            ..config.clone()
        };
        let others = match entities {
            None => self.guest_check(&withheld, options).await?,
            Some(entities) => self
                .guest_preview(&withheld, entities, options)
                .await?
                .map(|answer| answer.err().unwrap_or_default()),
        };
        Ok(others.map(|others| {
            let mut problems = vec![refusal];
            problems.extend(others);
            problems.truncate(MAX_PROBLEMS);
            problems
        }))
    }

    /// Runs one export in a fresh store, once admitted (a slot within
    /// `Limits::slot_wait`): deadline, memory limit, captured output
    /// (scrubbed of the host's keys and of `scrub`, the config's key as
    /// written and as its entities resolve it), no sockets, files or
    /// environment, and egress limited to the call's Siptel base URL (with
    /// the call's granted secrets put on it).
    async fn call<T>(
        &self,
        kind: CallKind,
        options: &CallOptions,
        timeout: Duration,
        scrub: Option<(&Secret, &[Entity])>,
        run: impl AsyncFnOnce(&Instance, &mut Store<CallState>) -> wasmtime::Result<T>,
    ) -> Result<Called<T>, Failed> {
        let base_url = self
            .sandbox
            .base_url(options.siptel_base_url.as_deref())
            .map_err(Called::quiet)?;
        // Admitted before the store exists, released after it is dropped
        // (declared first, so dropped last).
        let _ticket = self
            .sandbox
            .admit(kind, options.tenant.as_deref())
            .await
            .map_err(Called::quiet)?;
        let setup = CallSetup {
            wall_clock: options.wall_clock,
            grant: Grant::new(&options.secrets),
            ..CallSetup::default()
        };
        let mut call = self.sandbox.store(&base_url, setup, timeout);
        let value = call
            .run(async |store| {
                let instance = self.pre.instantiate_async(&mut *store).await?;
                run(&instance, store).await
            })
            .await;
        call.observed(value, scrub)
    }
}

/// The action's exports, found once at load. A call type-checks only the
/// export it runs: the generated `SmsAction` would check all four at every
/// instantiation, a sixth of a `check` call's cost.
struct Exports {
    send: ComponentExportIndex,
    check: ComponentExportIndex,
    preview: ComponentExportIndex,
    describe: ComponentExportIndex,
}

impl Exports {
    fn find(component: &Component) -> wasmtime::Result<Exports> {
        const INTERFACE: &str = siptel_sms::ACTION_INTERFACE;
        let interface = component
            .get_export_index(None, INTERFACE)
            .ok_or_else(|| wasmtime::format_err!("no export `{INTERFACE}`"))?;
        let func = |name: &str| {
            component
                .get_export_index(Some(&interface), name)
                .ok_or_else(|| wasmtime::format_err!("no export `{INTERFACE}#{name}`"))
        };
        Ok(Exports {
            send: func("send")?,
            check: func("check")?,
            preview: func("preview")?,
            describe: func("describe")?,
        })
    }
}

/// Calls the export `index` of `instance` with `params`, without checking
/// its type again: `SiptelSms::from_bytes` checked every export against the
/// world once, at load (`SmsActionPre::new`), and each call site names the
/// types of the export it calls, as the generated bindings do.
async fn invoke<P, R>(
    instance: &Instance,
    store: &mut Store<CallState>,
    index: &ComponentExportIndex,
    params: P,
) -> wasmtime::Result<R>
where
    P: ComponentNamedList + Lower + Send + Sync,
    R: ComponentNamedList + Lift + Send + Sync + 'static,
{
    let func = instance
        .get_func(&mut *store, index)
        .ok_or_else(|| wasmtime::format_err!("the component lost an export it had at load"))?;
    // SAFETY: the export's type was checked against the world (these `P`
    // and `R`) when the component loaded, and a loaded component does not
    // change.
    let func = unsafe { TypedFunc::<P, R>::new_unchecked(func) };
    func.call_async(&mut *store, params).await
}

fn wit_entities(entities: &[Entity]) -> Vec<wit::Entity> {
    entities.iter().cloned().map(Into::into).collect()
}
