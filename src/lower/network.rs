//! The pods' name resolution: `host_aliases` (extra `/etc/hosts` entries)
//! and `dns` (`dnsPolicy` and `dnsConfig`), checked as the API server checks them.

use std::net::IpAddr;

use super::context::*;

/// The API server's limits on `dnsConfig`.
const MAX_NAMESERVERS: usize = 3;
const MAX_SEARCHES: usize = 32;

impl Lowerer<'_> {
    /// `host_aliases`: each an IP address and at least one host name.
    pub(super) fn host_aliases(
        &mut self,
        written: &[Spanned<spec::HostAliasSpec>],
    ) -> Vec<HostAlias> {
        let mut out = Vec::new();
        for alias in written {
            let a = alias.get_ref();
            let ip_ok = self.check(&a.ip, "IP address", ip_address);
            if a.hostnames.is_empty() {
                self.error("a host alias needs `hostnames`", alias.span(), "no names");
            }
            let names_ok = (a.hostnames.iter())
                .filter(|h| !self.check(h, "host name", validate::dns_subdomain))
                .count()
                == 0;
            if ip_ok && names_ok {
                out.push(HostAlias {
                    ip: a.ip.get_ref().clone(),
                    hostnames: a.hostnames.iter().map(|h| h.get_ref().clone()).collect(),
                });
            }
        }
        out
    }

    /// `dns`: the policy and the resolver settings; `policy = "None"` needs a name server.
    pub(super) fn dns(
        &mut self,
        dns: Option<&Spanned<spec::DnsSpec>>,
    ) -> (Option<DnsPolicy>, Option<DnsConfig>) {
        let Some(spanned) = dns else {
            return (None, None);
        };
        let d = spanned.get_ref();
        let policy = d
            .policy
            .as_ref()
            .and_then(|p| self.keyword(p, "DNS policy"));
        if policy == Some(DnsPolicy::None) && d.nameservers.is_empty() {
            self.error_help(
                "`policy = \"None\"` needs `nameservers`",
                d.policy.as_ref().map_or(spanned.span(), |p| p.span()),
                "the pods would resolve nothing",
                "list at least one name server, or use another policy",
            );
        }
        for (list, max, field) in [
            (&d.nameservers, MAX_NAMESERVERS, "nameservers"),
            (&d.searches, MAX_SEARCHES, "searches"),
        ] {
            if let Some(extra) = list.get(max) {
                self.error(
                    format!("`{field}` holds at most {max} entries"),
                    extra.span(),
                    "one too many",
                );
            }
        }
        for n in &d.nameservers {
            self.check(n, "name server address", ip_address);
        }
        for s in &d.searches {
            self.check(s, "search domain", |s| {
                validate::dns_subdomain(s.strip_suffix('.').unwrap_or(s))
            });
        }
        let options = (d.options.iter())
            .filter_map(|o| self.dns_option(o))
            .collect();
        let written = !(d.nameservers.is_empty() && d.searches.is_empty() && d.options.is_empty());
        let strings = |v: &[Spanned<String>]| v.iter().map(|x| x.get_ref().clone()).collect();
        let config = written.then(|| DnsConfig {
            nameservers: strings(&d.nameservers),
            searches: strings(&d.searches),
            options,
        });
        (policy, config)
    }

    /// `"ndots:2"` or `"edns0"`.
    fn dns_option(&mut self, o: &Spanned<String>) -> Option<DnsOption> {
        let (name, value) = match o.get_ref().split_once(':') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (o.get_ref().as_str(), None),
        };
        let valid = !name.is_empty() && !name.contains(char::is_whitespace);
        if !valid {
            self.error_help(
                format!("`{}` is not a resolver option", o.get_ref().escape_debug()),
                o.span(),
                "invalid option",
                "write `name` or `name:value`, e.g. `ndots:2`",
            );
            return None;
        }
        Some(DnsOption {
            name: name.to_owned(),
            value,
        })
    }
}

fn ip_address(s: &str) -> Result<(), String> {
    s.parse::<IpAddr>()
        .map(|_| ())
        .map_err(|_| "write an IPv4 or IPv6 address, e.g. `10.0.0.5`".to_owned())
}
