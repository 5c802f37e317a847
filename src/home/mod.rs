//! The page each role lands on after login.

pub mod routes;
