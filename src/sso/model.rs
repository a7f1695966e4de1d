//! An OpenID Connect provider as a school or trust configures it, and the
//! parsing of what an administrator types (the admin page and the command
//! line parse the same way).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Role;
use crate::db::schema::oidc_providers;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = oidc_providers)]
pub struct Provider {
    pub id: String,
    pub school_id: Option<String>,
    pub trust_id: Option<String>,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// Sent to the token endpoint only; never shown, never logged.
    #[diesel(deserialize_as = String)]
    pub client_secret: crate::config::Secret,
    pub preset: String,
    pub tenant_id: Option<String>,
    pub hosted_domain: Option<String>,
    pub domains: String,
    pub mfa_acr: Option<String>,
    pub self_sign_up_domain: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
    pub last_success_at: Option<NaiveDateTime>,
    pub removed_at: Option<NaiveDateTime>,
    pub removed_by: Option<String>,
    /// The claim whose values give school roles (`groups`, `roles`, ...).
    pub role_claim: Option<String>,
    /// `VALUE=role,role` lines; see [`RoleMap`].
    pub role_map: String,
    /// Who set the mapping (`None`: the command line).
    pub role_map_by: Option<String>,
    pub role_map_at: Option<NaiveDateTime>,
}

impl Provider {
    pub fn preset(&self) -> Preset {
        Preset::parse(&self.preset).unwrap_or(Preset::Generic)
    }

    pub fn domains(&self) -> Vec<&str> {
        self.domains.split_whitespace().collect()
    }

    /// The claim and mapping that give roles at sign-in, when there is one.
    pub fn role_mapping(&self) -> Option<(&str, RoleMap)> {
        let claim = self.role_claim.as_deref()?;
        let map = RoleMap::from_stored(&self.role_map);
        (!map.entries.is_empty()).then_some((claim, map))
    }

    /// Whether this provider may vouch for an address at `domain`.
    pub fn signs_in_for(&self, domain: &str) -> bool {
        self.domains()
            .iter()
            .any(|d| d.eq_ignore_ascii_case(domain))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Microsoft Entra ID: tokens carry the tenant (`tid`).
    Entra,
    /// Google Workspace: tokens carry the hosted domain (`hd`).
    Google,
    Generic,
}

impl Preset {
    pub fn parse(s: &str) -> Option<Preset> {
        match s.trim().to_ascii_lowercase().as_str() {
            "entra" | "microsoft" | "azure" => Some(Preset::Entra),
            "google" => Some(Preset::Google),
            "generic" | "" => Some(Preset::Generic),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Entra => "entra",
            Preset::Google => "google",
            Preset::Generic => "generic",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Entra => "Microsoft Entra ID",
            Preset::Google => "Google Workspace",
            Preset::Generic => "Another OpenID Connect provider",
        }
    }
}

/// Which values of the role claim give which school roles. The roles it
/// names are the ones it manages: at each sign-in they are granted when a
/// value giving them is in the token and taken away when none is; every
/// other role is left as an administrator set it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleMap {
    pub entries: Vec<(String, Vec<Role>)>,
}

impl RoleMap {
    /// Parses what was typed: `VALUE=role,role`, one per line (or one per
    /// `--map`). Every problem says what to write.
    pub fn parse(text: &str) -> Result<RoleMap, String> {
        let mut entries: Vec<(String, Vec<Role>)> = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some((value, roles)) = line.rsplit_once('=') else {
                return Err(format!(
                    "Write each line as VALUE=role,role, such as 3fa85f64-5717-4562-b3fc-2c963f66afa6=dsl (\"{}\" has no =).",
                    clip(line)
                ));
            };
            let value = value.trim();
            if value.is_empty() || value.len() > 200 || value.chars().any(char::is_control) {
                return Err(format!(
                    "Give the claim's value before the = (up to 200 characters) in \"{}\".",
                    clip(line)
                ));
            }
            let mut parsed = Vec::new();
            for name in roles.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                let role: Role = name.parse().map_err(|_| {
                    format!(
                        "\"{}\" is not a safelog role; use {}.",
                        clip(name),
                        Role::ALL.map(Role::as_str).join(", ")
                    )
                })?;
                if !parsed.contains(&role) {
                    parsed.push(role);
                }
            }
            if parsed.is_empty() {
                return Err(format!(
                    "Give at least one role after the = in \"{}\".",
                    clip(line)
                ));
            }
            match entries.iter_mut().find(|(v, _)| v == value) {
                Some((_, held)) => {
                    for r in parsed {
                        if !held.contains(&r) {
                            held.push(r);
                        }
                    }
                }
                None => entries.push((value.to_string(), parsed)),
            }
        }
        if entries.len() > 100 {
            return Err("Map at most 100 values.".into());
        }
        Ok(RoleMap { entries })
    }

    /// As the database keeps it (written by [`RoleMap::to_stored`], so a
    /// line that does not parse is skipped rather than failing a sign-in).
    pub fn from_stored(text: &str) -> RoleMap {
        let entries = text
            .lines()
            .filter_map(|l| RoleMap::parse(l).ok())
            .flat_map(|m| m.entries)
            .collect();
        RoleMap { entries }
    }

    pub fn to_stored(&self) -> String {
        self.entries
            .iter()
            .map(|(v, roles)| {
                format!(
                    "{v}={}",
                    roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The roles the mapping manages.
    pub fn managed(&self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| self.entries.iter().any(|(_, rs)| rs.contains(r)))
            .collect()
    }

    /// The roles the token's values give (unknown values give nothing).
    pub fn given_by(&self, values: &[String]) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| {
                self.entries
                    .iter()
                    .any(|(v, rs)| rs.contains(r) && values.iter().any(|x| x == v))
            })
            .collect()
    }
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

/// What an administrator typed, before parsing.
#[derive(Clone, Debug, Default)]
pub struct ProviderInput {
    pub name: String,
    pub preset: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub tenant_id: String,
    pub hosted_domain: String,
    pub domains: String,
    pub mfa_acr: String,
    pub self_sign_up_domain: String,
    /// The claim whose values give roles (empty: no mapping).
    pub role_claim: String,
    /// `VALUE=role,role`, one per line.
    pub role_map: String,
}

/// A provider ready to store.
#[derive(Clone, Debug)]
pub struct NewProvider {
    pub name: String,
    pub preset: Preset,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: crate::config::Secret,
    pub tenant_id: Option<String>,
    pub hosted_domain: Option<String>,
    pub domains: Vec<String>,
    pub mfa_acr: Option<String>,
    pub self_sign_up_domain: Option<String>,
    pub role_mapping: Option<(String, RoleMap)>,
}

fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn is_domain(d: &str) -> bool {
    d.contains('.')
        && d.len() <= 253
        && !d.starts_with('.')
        && !d.ends_with('.')
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// An issuer must be https; plain http only on this machine (a provider
/// started by a test or a trial on a laptop).
pub fn issuer_ok(issuer: &str) -> bool {
    let Ok(url) = url::Url::parse(issuer) else {
        return false;
    };
    match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")),
        _ => false,
    }
}

impl ProviderInput {
    /// Every problem, by field, each saying what to write.
    pub fn parse(&self) -> Result<NewProvider, Vec<(&'static str, String)>> {
        let mut errors: Vec<(&'static str, String)> = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 60 {
            errors.push((
                "name",
                "Give the button's name, up to 60 characters, such as Microsoft or Google.".into(),
            ));
        }
        let preset = Preset::parse(&self.preset).unwrap_or_else(|| {
            errors.push(("preset", "Choose entra, google or generic.".into()));
            Preset::Generic
        });
        let tenant_id = optional(&self.tenant_id);
        let hosted_domain = optional(&self.hosted_domain).map(|d| d.to_ascii_lowercase());
        let mut issuer = self.issuer.trim().trim_end_matches('/').to_string();
        match preset {
            Preset::Entra => match &tenant_id {
                Some(t) if t.len() <= 64 && t.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') => {
                    if issuer.is_empty() {
                        issuer = format!("https://login.microsoftonline.com/{t}/v2.0");
                    }
                }
                _ => errors.push((
                    "tenant_id",
                    "Give the Directory (tenant) ID from the Entra admin centre (Overview page), such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.".into(),
                )),
            },
            Preset::Google => {
                if !hosted_domain.as_deref().is_some_and(is_domain) {
                    errors.push((
                        "hosted_domain",
                        "Give the school's Google Workspace domain, such as oakprimary.org.uk.".into(),
                    ));
                }
                if issuer.is_empty() {
                    issuer = "https://accounts.google.com".into();
                }
            }
            Preset::Generic => {}
        }
        if !issuer_ok(&issuer) {
            errors.push((
                "issuer",
                "Give the issuer URL, starting https:// (http:// only for a provider on this machine), such as https://login.microsoftonline.com/TENANT/v2.0.".into(),
            ));
        }
        let client_id = self.client_id.trim().to_string();
        if client_id.is_empty() || client_id.len() > 200 {
            errors.push((
                "client_id",
                "Give the client (application) ID the provider gave safelog.".into(),
            ));
        }
        let secret = self.client_secret.trim();
        if secret.is_empty() || secret.len() > 500 {
            errors.push((
                "client_secret",
                "Give the client secret the provider gave safelog (its value, not its id).".into(),
            ));
        }
        let domains: Vec<String> = self
            .domains
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(|d| d.trim_start_matches('@').to_ascii_lowercase())
            .collect();
        if domains.is_empty() || !domains.iter().all(|d| is_domain(d)) {
            errors.push((
                "domains",
                "Give the email domains this provider signs in for, separated by spaces, such as oakprimary.org.uk.".into(),
            ));
        }
        let self_sign_up_domain = optional(&self.self_sign_up_domain)
            .map(|d| d.trim_start_matches('@').to_ascii_lowercase());
        if let Some(d) = &self_sign_up_domain {
            if !domains.contains(d) {
                errors.push((
                    "self_sign_up_domain",
                    "Self-sign-up must be for one of the provider's email domains (or leave it empty).".into(),
                ));
            }
        }
        let mfa_acr = optional(&self.mfa_acr);
        if mfa_acr.as_ref().is_some_and(|a| a.len() > 200) {
            errors.push(("mfa_acr", "Keep the acr value under 200 characters.".into()));
        }
        let role_mapping =
            parse_role_mapping(&self.role_claim, &self.role_map).unwrap_or_else(|e| {
                errors.push(e);
                None
            });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewProvider {
            name,
            preset,
            issuer,
            client_id,
            client_secret: crate::config::Secret::new(secret),
            tenant_id: if preset == Preset::Entra {
                tenant_id
            } else {
                None
            },
            hosted_domain: if preset == Preset::Google {
                hosted_domain
            } else {
                None
            },
            domains,
            mfa_acr,
            self_sign_up_domain,
            role_mapping,
        })
    }
}

/// A claim name and its mapping, both or neither: `None` when both are
/// empty (no mapping). The admin page and the command line parse the same.
pub fn parse_role_mapping(
    claim: &str,
    map: &str,
) -> Result<Option<(String, RoleMap)>, (&'static str, String)> {
    let claim = claim.trim();
    let map = RoleMap::parse(map).map_err(|m| ("role_map", m))?;
    match (claim.is_empty(), map.entries.is_empty()) {
        (true, true) => Ok(None),
        (true, false) => Err((
            "role_claim",
            "Name the claim the values come from, such as groups or roles.".into(),
        )),
        (false, true) => Err((
            "role_map",
            "Give at least one VALUE=role line, or leave the claim empty.".into(),
        )),
        (false, false) => {
            let ok = claim.len() <= 100
                && claim
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.:/".contains(&b));
            if !ok {
                return Err((
                    "role_claim",
                    "Give the claim's name as the token spells it, such as groups, roles or https://example.org/claims/roles (letters, digits, _ - . : / only).".into(),
                ));
            }
            Ok(Some((claim.to_string(), map)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entra_preset_needs_a_tenant_and_derives_the_issuer() {
        let mut input = ProviderInput {
            name: "Microsoft".into(),
            preset: "entra".into(),
            client_id: "abc".into(),
            client_secret: "s3cret".into(),
            domains: "oak.sch.uk".into(),
            ..Default::default()
        };
        let errors = input.parse().unwrap_err();
        assert!(errors.iter().any(|(f, _)| *f == "tenant_id"), "{errors:?}");
        input.tenant_id = "3fa85f64-5717-4562-b3fc-2c963f66afa6".into();
        let p = input.parse().unwrap();
        assert_eq!(
            p.issuer,
            "https://login.microsoftonline.com/3fa85f64-5717-4562-b3fc-2c963f66afa6/v2.0"
        );
    }

    #[test]
    fn a_plain_http_issuer_is_allowed_only_on_this_machine() {
        assert!(issuer_ok("http://127.0.0.1:4000"));
        assert!(issuer_ok("https://accounts.google.com"));
        assert!(!issuer_ok("http://idp.example.org"));
        assert!(!issuer_ok("ftp://idp.example.org"));
    }

    #[test]
    fn a_role_map_parses_what_is_typed_and_says_what_is_wrong() {
        let m = RoleMap::parse("g1=dsl, staff\n\n g2 = headteacher\ng1=dsl").unwrap();
        assert_eq!(
            m.entries,
            vec![
                ("g1".to_string(), vec![Role::Dsl, Role::Staff]),
                ("g2".to_string(), vec![Role::Headteacher]),
            ]
        );
        assert_eq!(RoleMap::from_stored(&m.to_stored()), m);
        assert_eq!(m.managed(), vec![Role::Staff, Role::Dsl, Role::Headteacher]);
        assert_eq!(
            m.given_by(&["g1".into(), "unknown".into()]),
            vec![Role::Staff, Role::Dsl]
        );
        assert!(RoleMap::parse("g1=wizard")
            .unwrap_err()
            .contains("not a safelog role"));
        assert!(RoleMap::parse("g1").unwrap_err().contains("VALUE=role"));
        assert!(parse_role_mapping("", "g1=dsl").is_err());
        assert!(parse_role_mapping("groups", "").is_err());
        assert!(parse_role_mapping("gro ups", "g=dsl").is_err());
        assert_eq!(parse_role_mapping("", "").unwrap(), None);
    }

    #[test]
    fn the_secret_never_prints() {
        let p = ProviderInput {
            name: "G".into(),
            preset: "google".into(),
            hosted_domain: "oak.sch.uk".into(),
            client_id: "id".into(),
            client_secret: "canary-secret".into(),
            domains: "oak.sch.uk".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert!(!format!("{p:?}").contains("canary"));
    }
}
