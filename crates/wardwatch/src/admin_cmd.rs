//! `wardwatch admin`: tenants, users and API tokens, straight against the store (works while the
//! server runs: SQLite in WAL mode takes a second writer briefly). Every change is audited with
//! the operating-system user who ran it.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use ww_store::{Actor, AuditEntry, NewToken, Role, ServiceRole, Store, TokenPurpose};

use crate::config::Config;

#[derive(Args)]
pub struct AdminArgs {
    /// Configuration file (default: ./wardwatch.toml if present).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Data directory (overrides the configuration).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Tenants (councils).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Users and their roles.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens (ingest or API).
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        slug: String,
        #[arg(long)]
        name: String,
    },
    /// List tenants.
    List,
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user. Without --password-stdin a random password is generated and printed once.
    Create {
        username: String,
        /// Tenant the --role applies to (repeat both for several tenants).
        #[arg(long)]
        tenant: Vec<String>,
        /// admin, analyst or read_only, one per --tenant.
        #[arg(long)]
        role: Vec<String>,
        /// service_admin or soc_analyst: rights over every tenant.
        #[arg(long)]
        service_role: Option<String>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give a user a role in a tenant (or remove it with --role none).
    Grant {
        username: String,
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        role: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once (only its hash is stored).
    Create {
        #[arg(long)]
        tenant: String,
        /// ingest (send events only) or api (read and act with --role).
        #[arg(long)]
        purpose: String,
        #[arg(long, default_value = "read_only")]
        role: String,
        /// For ingest tokens: the source name events are labelled with.
        #[arg(long)]
        source: Option<String>,
        #[arg(long, default_value = "token")]
        name: String,
    },
    /// List a tenant's tokens (never their secrets).
    List {
        #[arg(long)]
        tenant: String,
    },
}

pub fn run(args: AdminArgs) -> anyhow::Result<u8> {
    let mut cfg = Config::load(args.config.as_deref())?;
    if let Some(d) = args.data_dir {
        cfg.data_dir = d;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let store = crate::serve::open_store(&cfg).await?.store();
        let actor = Actor { name: format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into())) };
        match args.command {
            AdminCommand::Tenant(c) => tenant(&*store, &actor, c).await,
            AdminCommand::User(c) => user(&*store, &actor, c).await,
            AdminCommand::Token(c) => token(&*store, &actor, c).await,
        }
    })?;
    Ok(0)
}

async fn audit(store: &dyn Store, actor: &Actor, tenant: Option<ww_store::TenantId>, action: &str, target: String) {
    let entry = AuditEntry {
        at: chrono::Utc::now(),
        actor: actor.clone(),
        tenant,
        action: action.into(),
        target,
        detail: serde_json::json!({"via": "cli"}),
    };
    if let Err(e) = store.audit(&entry).await {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

async fn tenant(store: &dyn Store, actor: &Actor, c: TenantCommand) -> anyhow::Result<()> {
    match c {
        TenantCommand::Create { slug, name } => {
            let t = store.create_tenant(&slug, &name).await.with_context(|| format!("creating tenant {slug}"))?;
            audit(store, actor, Some(t.id), "tenant.create", format!("tenant:{}", t.slug)).await;
            println!("created tenant {} ({})", t.slug, t.name);
        }
        TenantCommand::List => {
            for t in store.tenants().await? {
                println!("{}\t{}", t.slug, t.name);
            }
        }
    }
    Ok(())
}

fn role(s: &str) -> anyhow::Result<Role> {
    Role::parse(s).with_context(|| format!("unknown role {s:?} (admin, analyst, read_only)"))
}

async fn user(store: &dyn Store, actor: &Actor, c: UserCommand) -> anyhow::Result<()> {
    match c {
        UserCommand::Create { username, tenant, role: roles, service_role, password_stdin } => {
            if tenant.len() != roles.len() {
                bail!("give one --role for each --tenant");
            }
            let service_role = match service_role {
                Some(s) => Some(
                    ServiceRole::parse(&s)
                        .with_context(|| format!("unknown service role {s:?} (service_admin, soc_analyst)"))?,
                ),
                None => None,
            };
            let mut grants = Vec::new();
            for (t, r) in tenant.iter().zip(&roles) {
                grants.push((store.tenant_by_slug(t).await.with_context(|| format!("tenant {t}"))?, role(r)?));
            }
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                (s.trim_end_matches(['\n', '\r']).to_owned(), false)
            } else {
                (ww_web::generate_secret(), true)
            };
            if password.chars().count() < 12 {
                bail!("passwords must have at least 12 characters");
            }
            let hash = ww_web::hash_password(&password);
            let u = store
                .create_user(&username, &hash, service_role)
                .await
                .with_context(|| format!("creating {username}"))?;
            for (t, r) in grants {
                store.set_membership(u.id, t.id, Some(r)).await?;
                audit(store, actor, Some(t.id), "user.grant", format!("user:{username}")).await;
            }
            audit(store, actor, None, "user.create", format!("user:{username}")).await;
            println!("created user {username}");
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::Grant { username, tenant, role: r } => {
            let u = store.user_by_name(&username).await.with_context(|| format!("user {username}"))?;
            let t = store.tenant_by_slug(&tenant).await.with_context(|| format!("tenant {tenant}"))?;
            let r = if r == "none" { None } else { Some(role(&r)?) };
            store.set_membership(u.user.id, t.id, r).await?;
            audit(store, actor, Some(t.id), "user.grant", format!("user:{username}")).await;
            println!("{username} in {tenant}: {}", r.map_or("no role", Role::as_str));
        }
    }
    Ok(())
}

async fn token(store: &dyn Store, actor: &Actor, c: TokenCommand) -> anyhow::Result<()> {
    match c {
        TokenCommand::Create { tenant, purpose, role: r, source, name } => {
            let t = store.tenant_by_slug(&tenant).await.with_context(|| format!("tenant {tenant}"))?;
            let purpose =
                TokenPurpose::parse(&purpose).with_context(|| format!("unknown purpose {purpose:?} (ingest, api)"))?;
            let new = NewToken {
                tenant: t.id,
                name,
                purpose,
                role: role(&r)?,
                source,
                created_by: actor.name.clone(),
                expires: None,
            };
            let (tok, display) = ww_web::issue_token(store, &new).await?;
            audit(store, actor, Some(t.id), "token.create", format!("token:{}", tok.id)).await;
            eprintln!("token {} for {} ({}); it is shown once:", tok.id, tenant, purpose.as_str());
            println!("{display}");
        }
        TokenCommand::List { tenant } => {
            let t = store.tenant_by_slug(&tenant).await?;
            for tok in store.list_tokens(&ww_store::TenantScope::one(t.id)).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    tok.id,
                    tok.name,
                    tok.purpose.as_str(),
                    tok.source.as_deref().unwrap_or("-"),
                    if tok.revoked { "revoked" } else { "active" }
                );
            }
        }
    }
    Ok(())
}
