//! Probes and lifecycle hooks: their checks, ports and actions.

use super::context::*;

impl Lowerer<'_> {
    /// The readiness, liveness and startup probes, and the postStart and preStop hooks;
    /// an init container may have none of them.
    pub(super) fn probes_and_hooks(
        &mut self,
        probes: Option<&spec::ProbesSpec>,
        lifecycle: Option<&spec::LifecycleSpec>,
        is_init: bool,
        port_names: &[&str],
    ) -> ProbesAndHooks {
        let probe = |this: &mut Self, p: Option<&Spanned<spec::ProbeSpec>>, which: ProbeKind| {
            let p = p?;
            if is_init {
                this.error(
                    "init containers cannot have probes",
                    p.span(),
                    "not allowed here",
                );
                return None;
            }
            this.probe(p, which, port_names)
        };
        let readiness = probe(
            self,
            probes.and_then(|p| p.readiness.as_ref()),
            ProbeKind::Readiness,
        );
        let liveness = probe(
            self,
            probes.and_then(|p| p.liveness.as_ref()),
            ProbeKind::Liveness,
        );
        let startup = probe(
            self,
            probes.and_then(|p| p.startup.as_ref()),
            ProbeKind::Startup,
        );
        let (post_start, pre_stop) = match lifecycle {
            Some(l) if is_init && (l.post_start.is_some() || l.pre_stop.is_some()) => {
                let s = (l.post_start.as_ref())
                    .or(l.pre_stop.as_ref())
                    .map(|h| h.span())
                    .unwrap_or_default();
                self.error(
                    "init containers cannot have lifecycle hooks",
                    s,
                    "not allowed here",
                );
                (None, None)
            }
            Some(l) => (
                (l.post_start.as_ref()).and_then(|h| self.hook(h, port_names)),
                (l.pre_stop.as_ref()).and_then(|h| self.hook(h, port_names)),
            ),
            None => (None, None),
        };
        ProbesAndHooks {
            readiness,
            liveness,
            startup,
            post_start,
            pre_stop,
        }
    }

    fn port_ref(&mut self, p: &Spanned<spec::PortRef>, port_names: &[&str]) -> IntOrString {
        match p.get_ref() {
            spec::PortRef::Number(n) => {
                if let Err(reason) = validate::port_number(*n) {
                    self.error("invalid port number", p.span(), reason);
                }
                IntOrString::Int(*n)
            }
            spec::PortRef::Name(name) => {
                if !port_names.contains(&name.as_str()) {
                    let help = suggest(
                        name,
                        port_names,
                        "declared ports:",
                        "declare it in `ports`, or give the number",
                    );
                    self.error_help(
                        format!("port `{name}` is not declared"),
                        p.span(),
                        "unknown port name",
                        help,
                    );
                }
                IntOrString::String(name.clone())
            }
        }
    }

    fn http(&mut self, h: &Spanned<spec::HttpSpec>, port_names: &[&str]) -> Handler {
        let h = h.get_ref();
        let path = h.path.as_ref().map_or("/".to_owned(), |p| {
            if !p.get_ref().starts_with('/') {
                self.error(
                    "an HTTP path must start with `/`",
                    p.span(),
                    "relative path",
                );
            }
            p.get_ref().clone()
        });
        let scheme = (h.scheme.as_ref()).and_then(|s| self.keyword(s, "HTTP scheme"));
        Handler::Http {
            path,
            port: self.port_ref(&h.port, port_names),
            scheme,
            host: h.host.as_ref().map(|s| s.get_ref().clone()),
            headers: h
                .headers
                .iter()
                .map(|(k, v)| {
                    self.check(k, "HTTP header name", validate::http_header_name);
                    (k.get_ref().clone(), v.get_ref().clone())
                })
                .collect(),
        }
    }

    fn exec(&mut self, cmd: &[Spanned<String>], span: Span) -> Handler {
        if cmd.is_empty() {
            self.error("the command is empty", span, "nothing to run");
        }
        Handler::Exec {
            command: cmd.iter().map(|s| s.get_ref().clone()).collect(),
        }
    }

    fn probe(
        &mut self,
        p: &Spanned<spec::ProbeSpec>,
        which: ProbeKind,
        port_names: &[&str],
    ) -> Option<Probe> {
        let s = p.get_ref();
        let given = [
            s.exec.is_some(),
            s.http.is_some(),
            s.tcp.is_some(),
            s.grpc.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            self.error_help(
                format!("the {which} probe needs exactly one check"),
                p.span(),
                if given.iter().any(|g| *g) {
                    "several checks"
                } else {
                    "no check"
                },
                "use one of `exec`, `http`, `tcp` or `grpc`",
            );
            return None;
        }
        let handler = if let Some(cmd) = &s.exec {
            self.exec(cmd, p.span())
        } else if let Some(h) = &s.http {
            self.http(h, port_names)
        } else if let Some(t) = &s.tcp {
            Handler::Tcp {
                port: self.port_ref(t, port_names),
            }
        } else {
            let g = s.grpc.as_ref()?;
            let (port, service) = match g.get_ref() {
                spec::GrpcSpec::Port(n) => (*n, None),
                spec::GrpcSpec::Full { port, service } => (*port, service.clone()),
            };
            if let Err(reason) = validate::port_number(port) {
                self.error("invalid port number", g.span(), reason);
            }
            Handler::Grpc { port, service }
        };
        let success_threshold = self.at_least(&s.success_threshold, 1, "`success_threshold`");
        if which != ProbeKind::Readiness {
            if let Some(t) = &s.success_threshold {
                if *t.get_ref() != 1 {
                    self.error(
                        format!("a {which} probe's `success_threshold` must be 1"),
                        t.span(),
                        "only readiness probes may ask for more",
                    );
                }
            }
        }
        Some(Probe {
            handler,
            initial_delay: self.at_least(&s.initial_delay, 0, "`initial_delay`"),
            period: self.at_least(&s.period, 1, "`period`"),
            timeout: self.at_least(&s.timeout, 1, "`timeout`"),
            success_threshold,
            failure_threshold: self.at_least(&s.failure_threshold, 1, "`failure_threshold`"),
        })
    }

    fn hook(&mut self, h: &Spanned<spec::HandlerSpec>, port_names: &[&str]) -> Option<Handler> {
        match h.get_ref() {
            spec::HandlerSpec::Command(cmd) => Some(self.exec(cmd, h.span())),
            spec::HandlerSpec::Table(t) => {
                let given = [t.exec.is_some(), t.http.is_some(), t.sleep.is_some()];
                if given.iter().filter(|g| **g).count() != 1 {
                    self.error_help(
                        "a hook needs exactly one action",
                        h.span(),
                        "",
                        "use one of `exec`, `http` or `sleep`",
                    );
                    return None;
                }
                if let Some(cmd) = &t.exec {
                    Some(self.exec(cmd, h.span()))
                } else if let Some(http) = &t.http {
                    Some(self.http(http, port_names))
                } else {
                    let s = t.sleep.as_ref()?;
                    self.at_least(&Some(s.clone()), 1, "`sleep`");
                    Some(Handler::Sleep {
                        seconds: *s.get_ref(),
                    })
                }
            }
        }
    }
}

/// Which probe: they differ in what they may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProbeKind {
    Readiness,
    Liveness,
    Startup,
}

impl std::fmt::Display for ProbeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProbeKind::Readiness => "readiness",
            ProbeKind::Liveness => "liveness",
            ProbeKind::Startup => "startup",
        })
    }
}

/// A container's probes and hooks, lowered.
pub(super) struct ProbesAndHooks {
    pub(super) readiness: Option<Probe>,
    pub(super) liveness: Option<Probe>,
    pub(super) startup: Option<Probe>,
    pub(super) post_start: Option<Handler>,
    pub(super) pre_stop: Option<Handler>,
}
