//! Several machines: the node settings of burn-collective's global mode, and its orchestrator.

use std::str::FromStr;
use std::time::Duration;

use burn_communication::Address;

/// Default for [`Cluster::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// This process's place among several training processes (nodes), usually one per machine.
///
/// Every node runs the same `da-train train` command on the same data, with its own
/// `node_rank`, its own `node_address` and its own output directory; one orchestrator
/// (`da-train orchestrator`) must be running at `orchestrator`. The nodes split each batch
/// between all their devices (node `r`'s device `d` is peer `r * devices + d`), all-reduce the
/// gradients through burn-collective and end with identical weights; each node writes the same
/// checkpoint and results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// How many nodes take part.
    pub nodes: usize,
    /// This node's number, `0..nodes`, unique.
    pub node_rank: usize,
    /// The orchestrator's address, `ws://HOST:PORT`.
    pub orchestrator: String,
    /// The address the other nodes reach this one at, `ws://HOST:PORT`; this node serves
    /// tensors on that port.
    pub node_address: String,
    /// How long a collective call waits for the other nodes before the run stops with an
    /// error (it must cover an epoch's evaluation, which each node runs between steps).
    pub timeout: Duration,
}

impl Cluster {
    /// Checks the settings; the message names the bad one.
    pub fn validate(&self) -> Result<(), String> {
        if self.nodes == 0 {
            return Err("--nodes must be at least 1, got 0".into());
        }
        if self.node_rank >= self.nodes {
            return Err(format!(
                "--node-rank must be below --nodes {}, got {}",
                self.nodes, self.node_rank
            ));
        }
        port_of("--orchestrator", &self.orchestrator)?;
        port_of("--node-address", &self.node_address)?;
        if self.orchestrator == self.node_address {
            return Err(format!(
                "--node-address {} is the orchestrator's address; give this node a port of its own",
                self.node_address
            ));
        }
        if self.timeout.is_zero() {
            return Err("--node-timeout must be more than 0 seconds".into());
        }
        Ok(())
    }

    /// The port this node serves tensors on (that of `node_address`).
    pub fn data_port(&self) -> u16 {
        port_of("--node-address", &self.node_address).expect("validated")
    }

    /// The orchestrator's address for burn-collective.
    pub fn orchestrator_address(&self) -> Address {
        Address::from_str(&self.orchestrator).expect("any string is an address")
    }

    /// This node's address for burn-collective.
    pub fn node_address(&self) -> Address {
        Address::from_str(&self.node_address).expect("any string is an address")
    }
}

/// The port of a `ws://HOST:PORT` address; `option` names the setting in the message.
fn port_of(option: &str, address: &str) -> Result<u16, String> {
    let bad = |why: &str| {
        Err(format!(
            "{option} '{address}': {why} (expected ws://HOST:PORT)"
        ))
    };
    let Some(rest) = address.strip_prefix("ws://") else {
        return bad("it does not start with ws://");
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let Some((host, port)) = authority.rsplit_once(':') else {
        return bad("no port");
    };
    if host.is_empty() {
        return bad("no host");
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => bad("the port must be a number from 1 to 65535"),
        Ok(port) => Ok(port),
    }
}

/// Runs burn-collective's global orchestrator on `port` until the process is interrupted.
/// Nodes reach it at `ws://HOST:port`.
pub fn run_orchestrator(port: u16) -> Result<(), String> {
    if port == 0 {
        return Err("--port must be a number from 1 to 65535, got 0".into());
    }
    // Fail early and clearly when the port is taken (the orchestrator itself would panic).
    std::net::TcpListener::bind(("0.0.0.0", port))
        .map_err(|e| format!("--port {port}: cannot listen: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(burn_collective::start_global_orchestrator(port));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> Cluster {
        Cluster {
            nodes: 2,
            node_rank: 1,
            orchestrator: "ws://127.0.0.1:3000".into(),
            node_address: "ws://127.0.0.1:3002".into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    #[test]
    fn a_valid_cluster_serves_on_its_port() {
        cluster().validate().unwrap();
        assert_eq!(cluster().data_port(), 3002);
    }

    #[test]
    fn bad_settings_name_the_option() {
        type Change = fn(&mut Cluster);
        let cases: [(Change, &str); 6] = [
            (|c| c.nodes = 0, "--nodes must be at least 1"),
            (
                |c| c.node_rank = 2,
                "--node-rank must be below --nodes 2, got 2",
            ),
            (
                |c| c.orchestrator = "http://h:1".into(),
                "--orchestrator 'http://h:1': it does not start with ws://",
            ),
            (
                |c| c.node_address = "ws://h".into(),
                "--node-address 'ws://h': no port",
            ),
            (
                |c| c.node_address = "ws://h:70000".into(),
                "the port must be a number from 1 to 65535",
            ),
            (
                |c| c.node_address = c.orchestrator.clone(),
                "is the orchestrator's address",
            ),
        ];
        for (change, needle) in cases {
            let mut c = cluster();
            change(&mut c);
            let err = c.validate().unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }
}
