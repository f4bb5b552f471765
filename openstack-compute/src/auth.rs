//! Keystone v3 tokens: the request for each auth method, the token cache with single-flight
//! refresh, and the compute endpoint from the catalog.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tracing::Instrument;

use crate::config::{AuthMethod, Config, Domain, Interface, NameOrId, NameOrIdWithUser};
use crate::error::Error;
use crate::primitive::{Password, Timestamp};
use crate::transport::http::{Http, TokenHeader};
use crate::transport::url::Endpoint;

/// Refresh a token when less than this is left (keystoneauth uses the same margin), or a
/// quarter of its lifetime for short-lived tokens, so that a token living a few seconds is
/// still used for most of its life.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(120);

/// A token and what came with it.
pub(crate) struct Token {
    /// The `X-Auth-Token` header, built once per token.
    pub header: TokenHeader,
    pub expires_at: Option<SystemTime>,
    /// How long before `expires_at` it is refreshed.
    pub margin: Duration,
    /// The compute endpoint chosen from the catalog (or the configured one), parsed once.
    pub endpoint: Endpoint,
    /// The token's service catalog (`null` for a static token), for raw requests to other
    /// services.
    pub catalog: Value,
    /// The project the token is scoped to, for the catalog's `{project_id}` placeholders.
    pub project_id: Option<String>,
    /// Distinct for every token (a counter), so a 401 invalidates only the token that got it.
    pub generation: u64,
}

impl Token {
    /// The endpoint of `service` for its interface and region (the configured ones unless
    /// it names others) from this token's catalog, or `None` where that is the compute
    /// endpoint every call uses.
    pub fn endpoint_of(&self, service: &ServiceSelector<'_>, config: &Config) -> Result<Option<Endpoint>, Error> {
        if service.service_type == "compute" && service.interface.is_none() && service.region.is_none() {
            return Ok(None);
        }
        if self.catalog.is_null() {
            return Err(Error::Endpoint(format!(
                "a static token has no catalog: no `{}` endpoint is known",
                service.service_type
            )));
        }
        let interface = service.interface.unwrap_or(config.interface);
        let region = service.region.or(config.region.as_deref());
        let url =
            service_endpoint(Some(&self.catalog), service.service_type, interface, region).map_err(Error::Endpoint)?;
        Endpoint::parse(&fill_project(url, self.project_id.as_deref())).map(Some)
    }

    fn fresh(&self, now: SystemTime) -> bool {
        match self.expires_at {
            None => true,
            Some(t) => t.duration_since(now).is_ok_and(|left| left > self.margin),
        }
    }
}

pub(crate) struct Authenticator {
    config: Config,
    /// Read on every call, written once per token.
    current: RwLock<Option<Arc<Token>>>,
    /// Held by the one task that is fetching a token; the others wait on it and then reuse
    /// the token it stored.
    refresh: tokio::sync::Mutex<()>,
    generation: std::sync::atomic::AtomicU64,
}

impl Authenticator {
    pub fn new(config: Config) -> Authenticator {
        Authenticator {
            config,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn cached(&self) -> Option<Arc<Token>> {
        let now = SystemTime::now();
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|t| t.fresh(now))
            .cloned()
    }

    /// A fresh token: the cached one, or exactly one new one however many callers ask at once.
    pub async fn token(&self, http: &Http) -> Result<Arc<Token>, Error> {
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        // Boxed: the Keystone request's state is over a kilobyte, and inline it would make
        // every call's future (built, moved and polled per call) that much larger for a path
        // taken once per token.
        Box::pin(self.refresh(http)).await
    }

    async fn refresh(&self, http: &Http) -> Result<Arc<Token>, Error> {
        let _guard = self.refresh.lock().await;
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        let token = Arc::new(self.authenticate(http).await?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }

    /// Forgets `stale` (after a 401) unless a newer token already replaced it.
    pub fn invalidate(&self, stale: &Token) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_some_and(|t| t.generation == stale.generation) {
            *current = None;
        }
    }

    /// The configuration it authenticates with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether a 401 can be cured by authenticating again.
    pub fn can_reauthenticate(&self) -> bool {
        !matches!(self.config.auth, AuthMethod::Static { .. })
    }

    async fn authenticate(&self, http: &Http) -> Result<Token, Error> {
        let generation = self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (auth_url, body) = match &self.config.auth {
            AuthMethod::Static { endpoint, token } => {
                return Ok(Token {
                    header: TokenHeader::new(token.expose_secret())?,
                    expires_at: None,
                    margin: REFRESH_MARGIN,
                    endpoint: Endpoint::parse(endpoint)?,
                    catalog: Value::Null,
                    project_id: None,
                    generation,
                });
            }
            AuthMethod::Password {
                auth_url,
                user,
                password,
                project,
            } => {
                let identity = json!({"methods": ["password"], "password": {"user": user_json(user, Some(password))}});
                (auth_url, with_scope(identity, project.as_ref()))
            }
            AuthMethod::ApplicationCredential {
                auth_url,
                credential,
                secret,
            } => {
                let mut cred = match credential {
                    NameOrIdWithUser::Id(id) => json!({"id": id}),
                    NameOrIdWithUser::Name { name, user } => json!({"name": name, "user": user_json(user, None)}),
                };
                cred["secret"] = Value::String(secret.expose_secret().to_string());
                let identity = json!({"methods": ["application_credential"], "application_credential": cred});
                (auth_url, json!({"auth": {"identity": identity}}))
            }
            AuthMethod::Token {
                auth_url,
                token,
                project,
            } => {
                let identity = json!({"methods": ["token"], "token": {"id": token.expose_secret()}});
                (auth_url, with_scope(identity, project.as_ref()))
            }
        };
        let url = tokens_url(auth_url);
        let span = tracing::info_span!("keystone.auth", url = %url, request_id = tracing::field::Empty);
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        drop(body);
        let response = match http.keystone(&url, bytes).instrument(span.clone()).await {
            Ok(r) => r,
            Err(Error::Api(api)) => {
                return Err(Error::Auth {
                    message: format!("Keystone answered {}: {}", api.meta.status(), api.message()),
                    meta: Some(api.meta),
                });
            }
            Err(e) => return Err(e),
        };
        if let Some(id) = response.meta.request_id() {
            span.record("request_id", id);
        }
        let meta = response.meta.clone();
        let auth_error = |message: &str| Error::Auth {
            message: message.to_string(),
            meta: Some(meta.clone()),
        };
        let value = response
            .subject_token
            .as_ref()
            .map(|t| t.as_str())
            .ok_or_else(|| auth_error("Keystone's answer has no X-Subject-Token header"))?;
        let body: Value =
            serde_json::from_slice(&response.body).map_err(|_| auth_error("Keystone's token body is not JSON"))?;
        let token = body
            .get("token")
            .ok_or_else(|| auth_error("Keystone's answer has no `token`"))?;
        let expires_at = token
            .get("expires_at")
            .and_then(Value::as_str)
            .and_then(|t| Timestamp::parse(t).ok())
            .map(|t| t.to_system_time());
        let issued_at = token
            .get("issued_at")
            .and_then(Value::as_str)
            .and_then(|t| Timestamp::parse(t).ok())
            .map(|t| t.to_system_time())
            .unwrap_or_else(SystemTime::now);
        // A short-lived token is refreshed in its last quarter rather than at once.
        let margin = expires_at
            .and_then(|e| e.duration_since(issued_at).ok())
            .map_or(REFRESH_MARGIN, |lifetime| REFRESH_MARGIN.min(lifetime / 4));
        let project_id = token.pointer("/project/id").and_then(Value::as_str).map(str::to_string);
        let endpoint = match &self.config.endpoint_override {
            Some(e) => e.clone(),
            None => service_endpoint(
                token.get("catalog"),
                "compute",
                self.config.interface,
                self.config.region.as_deref(),
            )
            .map_err(Error::Endpoint)?,
        };
        let endpoint = fill_project(endpoint, project_id.as_deref());
        Ok(Token {
            header: TokenHeader::new(value)?,
            expires_at,
            margin,
            endpoint: Endpoint::parse(&endpoint)?,
            catalog: token.get("catalog").cloned().unwrap_or(Value::Null),
            project_id,
            generation,
        })
    }
}

/// The endpoint with a `{project_id}`-style placeholder filled in (done once per token, not
/// per call).
fn fill_project(mut endpoint: String, project: Option<&str>) -> String {
    if let Some(project) = project {
        for placeholder in [
            "{project_id}",
            "{tenant_id}",
            "%(project_id)s",
            "%(tenant_id)s",
            "$(project_id)s",
            "$(tenant_id)s",
        ] {
            if endpoint.contains(placeholder) {
                endpoint = endpoint.replace(placeholder, project);
            }
        }
    }
    endpoint
}

fn tokens_url(auth_url: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    if base.ends_with("/v3") {
        format!("{base}/auth/tokens")
    } else {
        format!("{base}/v3/auth/tokens")
    }
}

fn domain_json(d: &Domain) -> Value {
    match d {
        Domain::Id(id) => json!({"id": id}),
        Domain::Name(name) => json!({"name": name}),
    }
}

fn user_json(user: &NameOrId, password: Option<&Password>) -> Value {
    let mut v = match user {
        NameOrId::Id(id) => json!({"id": id}),
        NameOrId::Name { name, domain } => json!({"name": name, "domain": domain_json(domain)}),
    };
    if let Some(p) = password {
        v["password"] = Value::String(p.expose_secret().to_string());
    }
    v
}

fn with_scope(identity: Value, project: Option<&NameOrId>) -> Value {
    let mut auth = json!({"identity": identity});
    if let Some(p) = project {
        auth["scope"] = json!({"project": user_json(p, None)});
    }
    json!({"auth": auth})
}

/// Which service a raw request goes to: its catalog type, and the interface and region when
/// they differ from the configured ones.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServiceSelector<'a> {
    pub service_type: &'a str,
    pub interface: Option<Interface>,
    pub region: Option<&'a str>,
}

/// The endpoint of the service of type `service_type` in a catalog, for `interface` and (when
/// given) `region`.
pub(crate) fn service_endpoint(
    catalog: Option<&Value>,
    service_type: &str,
    interface: Interface,
    region: Option<&str>,
) -> Result<String, String> {
    let services = catalog
        .and_then(Value::as_array)
        .ok_or("the token has no service catalog")?;
    let service = services
        .iter()
        .find(|s| s.get("type").and_then(Value::as_str) == Some(service_type))
        .ok_or_else(|| format!("the catalog has no service of type `{service_type}`"))?;
    let endpoints = service
        .get("endpoints")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("the {service_type} service lists no endpoints"))?;
    let found = endpoints.iter().find(|e| {
        e.get("interface").and_then(Value::as_str) == Some(interface.as_str())
            && region.is_none_or(|r| {
                e.get("region_id").and_then(Value::as_str) == Some(r)
                    || e.get("region").and_then(Value::as_str) == Some(r)
            })
    });
    match found.and_then(|e| e.get("url")).and_then(Value::as_str) {
        Some(url) => Ok(url.trim_end_matches('/').to_string()),
        None => Err(format!(
            "the {service_type} service has no {} endpoint{}",
            interface.as_str(),
            region.map(|r| format!(" in region {r}")).unwrap_or_default()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_fresh_only_while_more_than_its_margin_is_left() {
        let now = SystemTime::now();
        let margin = Duration::from_secs(120);
        let token = |left: Duration| Token {
            header: TokenHeader::new("t").unwrap(),
            expires_at: Some(now + left),
            margin,
            endpoint: Endpoint::parse("http://nova.test/v2.1").unwrap(),
            catalog: Value::Null,
            project_id: None,
            generation: 1,
        };
        assert!(token(margin + Duration::from_secs(1)).fresh(now));
        assert!(!token(margin).fresh(now), "exactly the margin left is time to refresh");
        assert!(!token(Duration::ZERO).fresh(now));
        let expired = Token {
            expires_at: Some(now - Duration::from_secs(1)),
            ..token(margin)
        };
        assert!(!expired.fresh(now));
        let unknown = Token {
            expires_at: None,
            ..token(margin)
        };
        assert!(
            unknown.fresh(now),
            "a token without an expiry is used until Nova refuses it"
        );
    }

    #[test]
    fn picks_the_endpoint_by_interface_and_region() {
        let catalog = json!([
            {"type": "identity", "endpoints": []},
            {"type": "compute", "endpoints": [
                {"interface": "public", "region": "R1", "url": "https://r1/compute/v2.1/"},
                {"interface": "internal", "region": "R1", "url": "http://r1-int/v2.1"},
                {"interface": "public", "region_id": "R2", "url": "https://r2/v2.1/abc"}
            ]}
        ]);
        assert_eq!(
            service_endpoint(Some(&catalog), "compute", Interface::Public, Some("R1")).unwrap(),
            "https://r1/compute/v2.1"
        );
        assert_eq!(
            service_endpoint(Some(&catalog), "compute", Interface::Internal, None).unwrap(),
            "http://r1-int/v2.1"
        );
        assert_eq!(
            service_endpoint(Some(&catalog), "compute", Interface::Public, Some("R2")).unwrap(),
            "https://r2/v2.1/abc"
        );
        let err = service_endpoint(Some(&catalog), "compute", Interface::Admin, None).unwrap_err();
        assert_eq!(err, "the compute service has no admin endpoint");
        assert!(
            service_endpoint(Some(&json!([])), "compute", Interface::Public, None)
                .unwrap_err()
                .contains("no service of type")
        );
    }

    #[test]
    fn project_placeholders_are_filled_once() {
        assert_eq!(
            fill_project("http://n/v2.1/$(project_id)s".into(), Some("p1")),
            "http://n/v2.1/p1"
        );
        assert_eq!(
            fill_project("http://n/v2/%(tenant_id)s".into(), Some("p1")),
            "http://n/v2/p1"
        );
        assert_eq!(fill_project("http://n/v2.1".into(), Some("p1")), "http://n/v2.1");
        assert_eq!(
            fill_project("http://n/v2.1/{project_id}".into(), None),
            "http://n/v2.1/{project_id}"
        );
    }

    /// Arbitrary JSON, shaped like catalogs: never a panic, a URL or a reason.
    #[test]
    fn catalogs_never_panic() {
        use proptest::prelude::*;
        let keys = prop::sample::select(vec![
            "type",
            "compute",
            "endpoints",
            "interface",
            "public",
            "region",
            "region_id",
            "url",
            "x",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            ".{0,12}".prop_map(Value::String),
            prop::sample::select(vec!["compute", "public", "internal", "RegionOne"])
                .prop_map(|s| Value::String(s.into())),
        ];
        let json = leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(keys.clone().prop_map(String::from), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        });
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
            cases: 512,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x0000_c0de_5eed),
            failure_persistence: None,
            ..Default::default()
        });
        runner
            .run(&json, |value| {
                for interface in [Interface::Public, Interface::Internal, Interface::Admin] {
                    let _ = service_endpoint(Some(&value), "compute", interface, Some("RegionOne"));
                    let _ = service_endpoint(value.get("catalog"), "image", interface, None);
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn tokens_url_accepts_both_spellings() {
        assert_eq!(tokens_url("http://ks:5000/v3/"), "http://ks:5000/v3/auth/tokens");
        assert_eq!(tokens_url("http://ks:5000"), "http://ks:5000/v3/auth/tokens");
    }
}
