//! Where Partner Center data comes from. Every source ends in a snapshot folder (the contract's
//! layout); everything downstream reads a [`snapshot::Snapshot`].

pub mod config;
pub mod partner_center;
pub mod snapshot;
