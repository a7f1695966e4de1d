//! `safelog sso add|list|remove|map|password-sign-in`: providers and their
//! role mappings from a script, and the way back in from the server when a
//! school's provider fails with passwords turned off.

use std::io::Read;

use clap::{Args, Subcommand};

use super::model::ProviderInput;
use super::store::{self, Owner};
use crate::audit::{self, Event};
use crate::auth::store::{self as auth_store};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::dialect::write_transaction;
use crate::error::AppError;

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Add an OpenID Connect provider ("Sign in with NAME") for a school or a trust.
    ///
    /// Example: echo "$SECRET" | safelog sso add --school "Oak Primary" --name Microsoft --preset entra
    /// --tenant-id TENANT --client-id ID --client-secret-stdin --domain oakprimary.org.uk
    ///
    /// Register SAFELOG_BASE_URL/login/oidc/callback as the redirect URI with the provider.
    Add(Box<AddArgs>),
    /// List the providers in use, with their ids (never their secrets).
    List,
    /// Remove a provider: its button goes from the sign-in page.
    Remove(RemoveArgs),
    /// Turn a school's password sign-in on or off (the way back in when the provider fails).
    PasswordSignIn(PasswordArgs),
    /// Set or clear a provider's role mapping: which values of a token claim give which school roles.
    ///
    /// Example: safelog sso map --id ID --role-claim groups --map 3fa85f64-...=dsl --map 0b1c...=staff,online_safety_lead
    Map(MapArgs),
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// The provider's id, as `safelog sso list` shows it.
    #[arg(long)]
    pub id: String,
    /// The claim whose values give roles, such as groups or roles.
    #[arg(long = "role-claim", required_unless_present = "clear")]
    pub role_claim: Option<String>,
    /// VALUE=role[,role]; repeat for each value.
    #[arg(long = "map", required_unless_present = "clear")]
    pub map: Vec<String>,
    /// Remove the mapping: sign-ins change no role.
    #[arg(long, conflicts_with_all = ["role_claim", "map"])]
    pub clear: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The school's name or URN (needed when the database holds several).
    #[arg(long, conflicts_with = "trust")]
    pub school: Option<String>,
    /// A trust's name instead: its provider serves every school of the trust.
    #[arg(long)]
    pub trust: Option<String>,
    /// The button's name: "Sign in with NAME".
    #[arg(long)]
    pub name: String,
    /// The issuer URL (optional with --preset entra and --tenant-id, or --preset google).
    #[arg(long, default_value = "")]
    pub issuer: String,
    #[arg(long = "client-id")]
    pub client_id: String,
    /// Read the client secret from standard input (it never goes on the command line).
    #[arg(long = "client-secret-stdin", required = true)]
    pub client_secret_stdin: bool,
    /// entra, google or generic.
    #[arg(long, default_value = "generic")]
    pub preset: String,
    /// Entra: the directory (tenant) id tokens must carry as `tid`.
    #[arg(long = "tenant-id", default_value = "")]
    pub tenant_id: String,
    /// Google: the Workspace domain tokens must carry as `hd`.
    #[arg(long = "hosted-domain", default_value = "")]
    pub hosted_domain: String,
    /// An email domain the provider signs in for; repeat for several.
    #[arg(long = "domain", required = true)]
    pub domains: Vec<String>,
    /// An `acr` value that counts as a second factor (amr=mfa always does).
    #[arg(long = "mfa-acr", default_value = "")]
    pub mfa_acr: String,
    /// Let unknown people at this domain sign themselves up as staff (school providers only).
    #[arg(long = "self-sign-up", default_value = "")]
    pub self_sign_up: String,
    /// A claim whose values give school roles at each sign-in, such as groups or roles.
    #[arg(long = "role-claim", requires = "map")]
    pub role_claim: Option<String>,
    /// With --role-claim: VALUE=role[,role]; repeat for each value.
    #[arg(long = "map", requires = "role_claim")]
    pub map: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The provider's id, as `safelog sso list` shows it.
    #[arg(long)]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// The school's name or URN (needed when the database holds several).
    #[arg(long)]
    pub school: Option<String>,
    #[arg(long, conflicts_with = "off", required_unless_present = "off")]
    pub on: bool,
    #[arg(long)]
    pub off: bool,
}

/// The option a parsed field came from.
fn flag(field: &str) -> String {
    match field {
        "role_map" => "map".into(),
        f => f.replace('_', "-"),
    }
}

fn msg(e: AppError) -> String {
    e.message()
}

pub fn run(config: &Config, command: &SsoCommand) -> Result<(), String> {
    let pool = crate::db::open(&config.database_url).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let now = Clock::system().now_naive();
    match command {
        SsoCommand::Add(args) => {
            let mut secret = String::new();
            std::io::stdin().read_to_string(&mut secret).map_err(|e| {
                format!("could not read the client secret from standard input: {e}")
            })?;
            let (owner_id, owner_name, is_trust) = match &args.trust {
                Some(t) => {
                    let trust = crate::accounts::store::trust_by_name(&mut conn, t.trim())
                        .map_err(|e| msg(e.into()))?
                        .ok_or_else(|| format!("there is no trust named '{}'", t.trim()))?;
                    (trust.id, trust.name, true)
                }
                None => {
                    let s = crate::accounts::schools::choose(&mut conn, args.school.as_deref())
                        .map_err(msg)??;
                    (s.id, s.name, false)
                }
            };
            let input = ProviderInput {
                name: args.name.clone(),
                preset: args.preset.clone(),
                issuer: args.issuer.clone(),
                client_id: args.client_id.clone(),
                client_secret: secret.trim().to_string(),
                tenant_id: args.tenant_id.clone(),
                hosted_domain: args.hosted_domain.clone(),
                domains: args.domains.join(" "),
                mfa_acr: args.mfa_acr.clone(),
                self_sign_up_domain: if is_trust {
                    String::new()
                } else {
                    args.self_sign_up.clone()
                },
                role_claim: args.role_claim.clone().unwrap_or_default(),
                role_map: args.map.join("\n"),
            };
            let new = input.parse().map_err(|errors| {
                errors
                    .iter()
                    .map(|(f, m)| format!("--{}: {m}", flag(f)))
                    .collect::<Vec<_>>()
                    .join(" ")
            })?;
            let owner = if is_trust {
                Owner::Trust(&owner_id)
            } else {
                Owner::School(&owner_id)
            };
            let id = write_transaction(&mut conn, |conn| {
                let id = store::add_provider(conn, owner, &new, None, now)?;
                let mut event = Event::new("sso_provider_added", now)
                    .record("oidc_provider", &id)
                    .detail(format!(
                        "{} ({}), from the command line",
                        new.name, new.issuer
                    ));
                if !is_trust {
                    event = event.school(&owner_id);
                }
                audit::store::insert(conn, &event)?;
                Ok::<_, AppError>(id)
            })
            .map_err(msg)?;
            println!(
                "Added \"Sign in with {}\" for {owner_name} (id {id}). Register this redirect URI with the provider: {}",
                new.name,
                super::handlers::redirect_uri(config)
            );
            Ok(())
        }
        SsoCommand::List => {
            let all = store::all_providers(&mut conn).map_err(|e| msg(e.into()))?;
            if all.is_empty() {
                println!("No providers.");
            }
            for p in all {
                let owner = match (&p.school_id, &p.trust_id) {
                    (Some(s), _) => format!("school {s}"),
                    (None, Some(t)) => format!("trust {t}"),
                    _ => String::new(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    p.id,
                    p.name,
                    p.preset,
                    p.issuer,
                    p.domains.replace(' ', ","),
                    owner
                );
            }
            Ok(())
        }
        SsoCommand::Remove(args) => {
            let Some(p) = store::provider(&mut conn, args.id.trim()).map_err(|e| msg(e.into()))?
            else {
                return Err(format!(
                    "there is no provider with id '{}'; `safelog sso list` shows them",
                    args.id.trim()
                ));
            };
            let owner = match (&p.school_id, &p.trust_id) {
                (Some(s), _) => Owner::School(s),
                (None, Some(t)) => Owner::Trust(t),
                _ => return Err("that provider has no owner".into()),
            };
            write_transaction(&mut conn, |conn| {
                store::remove_provider(conn, owner, &p.id, None, now)?;
                let mut event = Event::new("sso_provider_removed", now)
                    .record("oidc_provider", &p.id)
                    .detail("from the command line");
                if let Some(s) = &p.school_id {
                    event = event.school(s);
                }
                audit::store::insert(conn, &event)?;
                Ok::<_, AppError>(())
            })
            .map_err(msg)?;
            println!("Removed \"Sign in with {}\".", p.name);
            Ok(())
        }
        SsoCommand::Map(args) => {
            let mapping = if args.clear {
                None
            } else {
                super::model::parse_role_mapping(
                    args.role_claim.as_deref().unwrap_or_default(),
                    &args.map.join("\n"),
                )
                .map_err(|(f, m)| format!("--{}: {m}", flag(f)))?
            };
            let Some(p) = store::provider(&mut conn, args.id.trim()).map_err(|e| msg(e.into()))?
            else {
                return Err(format!(
                    "there is no provider with id '{}'; `safelog sso list` shows them",
                    args.id.trim()
                ));
            };
            write_transaction(&mut conn, |conn| {
                store::set_role_mapping(conn, &p.id, mapping.as_ref(), None, now)?;
                let mut event = Event::new("sso_role_mapping_set", now)
                    .record("oidc_provider", &p.id)
                    .detail(match &mapping {
                        Some((claim, map)) => format!(
                            "claim {claim}: {}, from the command line",
                            map.to_stored().replace('\n', "; ")
                        ),
                        None => "no role mapping, from the command line".into(),
                    });
                if let Some(s) = &p.school_id {
                    event = event.school(s);
                }
                audit::store::insert(conn, &event)?;
                Ok::<_, AppError>(())
            })
            .map_err(msg)?;
            match &mapping {
                Some((claim, map)) => println!(
                    "\"Sign in with {}\" now manages {} from the claim {claim}, at each sign-in.",
                    p.name,
                    map.managed()
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => println!("\"Sign in with {}\" gives no roles now.", p.name),
            }
            Ok(())
        }
        SsoCommand::PasswordSignIn(args) => {
            let school = crate::accounts::schools::choose(&mut conn, args.school.as_deref())
                .map_err(msg)??;
            let on = args.on;
            write_transaction(&mut conn, |conn| {
                let mut settings = auth_store::sign_in_settings(conn, &school.id)?;
                settings.password_sign_in = on;
                auth_store::save_sign_in_settings(conn, &school.id, settings, None, now)?;
                audit::store::insert(
                    conn,
                    &Event::new("sign_in_settings_changed", now)
                        .school(&school.id)
                        .detail(format!(
                            "password sign-in {}, from the command line",
                            if on { "on" } else { "off" }
                        )),
                )?;
                Ok::<_, AppError>(())
            })
            .map_err(msg)?;
            println!(
                "Password sign-in is {} at {}.",
                if on { "on" } else { "off" },
                school.name
            );
            Ok(())
        }
    }
}
