//! The categories of incident (PRODUCT.md "Categories and routing"): each
//! names its 4C, the role that owns its incidents, the guidance staff see
//! while logging, and whether it is urgent or restricted. Every school gets
//! the default taxonomy when it is created; administrators will edit them
//! (a later feature) but cannot remove the safeguards.

pub mod defaults;
pub mod model;
pub mod store;

pub use model::{Category, FourC};
