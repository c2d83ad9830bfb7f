//! Stage 3, checking: the lowered [`Model`](crate::model::Model) against the
//! rules Kubernetes and kubetoml keep.
//!
//! Takes the model (and, for [`policy`], the spec) and gives diagnostics:
//! [`validate`] the field rules, [`api_rules`] what the API server refuses,
//! [`policy`] Pod Security levels and lints, [`cron`] CronJob schedules and time zones, [`kube_version`] what the
//! target release supports, [`rbac`] the rules of a service account, and [`against`] which changes to a previous
//! render Kubernetes refuses to make in place.

pub mod against;
pub mod api_rules;
pub mod cron;
pub mod kube_version;
pub mod policy;
pub mod rbac;
pub mod validate;
