//! Integration tests: the real `iamctl` binary against moto, checked through the API.

mod harness;

mod account;
mod analyze;
mod backend;
mod bad_input;
mod casegen;
mod check;
mod differential;
mod escalation;
mod failures;
mod faults;
mod group;
mod iac;
mod identity_center;
mod import;
mod interactive;
mod json_output;
mod key;
mod lock;
mod org;
mod policy;
mod readme;
mod recipes;
mod role;
mod scripts;
mod sealed;
mod signin;
mod snapshots;
mod user;
mod validate;
