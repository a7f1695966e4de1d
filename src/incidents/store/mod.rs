//! SQL for incidents, kept to this folder: the visibility rule every read
//! goes through, reading one incident or a filtered page of them, the
//! writes of logging and correcting, and the timeline.

pub mod known_pupils;
pub mod read;
pub mod searches;
pub mod timeline;
pub mod visibility;
pub mod write;

pub use read::{chronology, get, list};
