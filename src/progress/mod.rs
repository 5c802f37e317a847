//! Progress toward UHC Prioritas, from a kelurahan up to the nation: the three ratios, the gap
//! in people, field activity, the worklist, and the same figures as CSV/XLSX and JSON.

pub mod api;
pub mod chart;
pub mod export;
pub mod queries;
pub mod ratios;
pub mod routes;
pub mod unit;
