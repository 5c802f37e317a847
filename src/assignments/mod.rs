//! Who works where: field workers' kelurahan (with since-when and history), the assignments
//! board that camat and lurah offices read, and worklist households given to one worker.

pub mod queries;
pub mod routes;
