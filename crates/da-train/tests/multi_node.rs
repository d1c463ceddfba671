//! Training on two nodes: two `da-train train --nodes 2` processes and an orchestrator on the
//! loopback address finish a short run with identical weights; a node whose peer never comes
//! stops after its timeout with a clear error and no checkpoint.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use burn::module::{Module, ModuleVisitor, Param};
use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use burn_ndarray::NdArray;
use da_models::{DaNet, DaNetConfig};
use da_train::train::CheckpointParts;

/// How long the processes may take before the test kills them and fails.
const LIMIT: Duration = Duration::from_secs(300);

fn out_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("multi-node-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Ports that were free a moment ago.
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

fn da_train(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_da-train"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start da-train")
}

/// Kills the process when dropped (a failing test leaves no orchestrator behind).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for every node, within [`LIMIT`]; kills them all when it passes.
fn wait_all(mut nodes: Vec<Child>) -> Vec<Output> {
    let started = Instant::now();
    while !nodes
        .iter_mut()
        .all(|node| node.try_wait().unwrap().is_some())
    {
        if started.elapsed() > LIMIT {
            for node in &mut nodes {
                let _ = node.kill();
            }
            panic!("the nodes did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    nodes
        .into_iter()
        .map(|node| node.wait_with_output().unwrap())
        .collect()
}

/// Every float of the network in `out`'s checkpoint (the records also hold parameter ids,
/// which differ between processes).
fn weights(out: &Path) -> Vec<f32> {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Header {
        model: DaNetConfig,
    }
    struct Flat(Vec<f32>);
    impl<B: Backend> ModuleVisitor<B> for Flat {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
            self.0
                .extend(param.val().into_data().to_vec::<f32>().expect("f32"));
        }
    }
    let parts = CheckpointParts::<Header>::load(&out.join("checkpoint.bin")).unwrap();
    let device = Default::default();
    let recorder = BinBytesRecorder::<FullPrecisionSettings>::default();
    let net: DaNet<NdArray> = parts.header.model.init(&device);
    let net = net.load_record(Recorder::<NdArray>::load(&recorder, parts.model, &device).unwrap());
    let mut flat = Flat(Vec::new());
    net.visit(&mut flat);
    flat.0
}

fn orchestrator(port: u16) -> Killed {
    let child = da_train(&["orchestrator".into(), "--port".into(), port.to_string()]);
    // Until it listens, nodes would retry their connection; give it a moment.
    std::thread::sleep(Duration::from_millis(500));
    Killed(child)
}

fn node_args(rank: usize, orchestrator: u16, port: u16, out: &Path, timeout: u64) -> Vec<String> {
    [
        "train",
        "--devices",
        "cpu:2",
        "--epochs",
        "2",
        "--iterations-per-epoch",
        "6",
        "--batch-size",
        "16",
        "--no-progress",
        "--nodes",
        "2",
        "--node-rank",
        &rank.to_string(),
        "--orchestrator",
        &format!("ws://127.0.0.1:{orchestrator}"),
        "--node-address",
        &format!("ws://127.0.0.1:{port}"),
        "--node-timeout",
        &timeout.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn two_nodes_on_the_loopback_address_end_with_identical_weights() {
    let ports = free_ports(3);
    let _orchestrator = orchestrator(ports[0]);
    let outs = [out_dir("node0"), out_dir("node1")];
    let nodes = (0..2)
        .map(|rank| {
            da_train(&node_args(
                rank,
                ports[0],
                ports[rank + 1],
                &outs[rank],
                120,
            ))
        })
        .collect();
    let outputs = wait_all(nodes);
    for (rank, output) in outputs.iter().enumerate() {
        assert!(output.status.success(), "node {rank}: {}", stderr(output));
    }
    let parts: Vec<CheckpointParts<serde_json::Value>> = outs
        .iter()
        .map(|out| CheckpointParts::load(&out.join("checkpoint.bin")).unwrap())
        .collect();
    let (a, b) = (weights(&outs[0]), weights(&outs[1]));
    assert_eq!(a.len(), b.len());
    let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert_eq!(
        differing,
        0,
        "{differing} of {} weights differ between the nodes",
        a.len()
    );
    let metrics = |p: &CheckpointParts<serde_json::Value>| {
        let mut rows = p.header["metrics"].as_array().unwrap().clone();
        for row in &mut rows {
            let row = row.as_object_mut().unwrap();
            row.remove("seconds");
            row.remove("images_per_second");
        }
        rows
    };
    assert_eq!(metrics(&parts[0]), metrics(&parts[1]));
    assert_eq!(metrics(&parts[0]).len(), 2);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outs[0].join("summary.json")).unwrap())
            .unwrap();
    assert!(
        summary["backend"].as_str().unwrap().contains("(4 devices)"),
        "{summary}"
    );
}

#[test]
fn a_node_whose_peer_never_comes_stops_after_its_timeout() {
    let ports = free_ports(2);
    let _orchestrator = orchestrator(ports[0]);
    let out = out_dir("alone");
    let started = Instant::now();
    let outputs = wait_all(vec![da_train(&node_args(0, ports[0], ports[1], &out, 3))]);
    let output = &outputs[0];
    assert_eq!(output.status.code(), Some(1), "{}", stderr(output));
    let message = stderr(output);
    assert!(
        message.contains(
            "registering with the other devices: no answer from the other nodes within 3 s"
        ),
        "{message}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(!out.join("checkpoint.bin").exists());
}
