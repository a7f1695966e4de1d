//! The categories of incident (PRODUCT.md "Categories and routing"): each
//! names its 4C, the role that owns its incidents, the guidance staff see
//! while logging, and whether it is urgent or restricted. Every school gets
//! the default taxonomy when it is created; administrators edit them
//! ([`admin`]) but cannot remove the safeguards ([`safeguards`]). A trust
//! may share categories with its schools ([`trust`]), which each school
//! then carries as its own rows and only the trust changes.

pub mod admin;
pub mod defaults;
pub mod model;
pub mod safeguards;
pub mod store;
pub mod trust;

pub use model::{Category, FourC, TrustCategory};
