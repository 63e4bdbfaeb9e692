//! A real `redis-server` for one test: on a free loopback port, in its own
//! directory, stopped (or killed) for real, and gone with the test.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    persistent: bool,
    child: Option<Child>,
}

impl RedisServer {
    /// Without persistence: a restart loses its data.
    pub fn start() -> RedisServer {
        RedisServer::launch(free_port(), false)
    }

    /// On `port`, without persistence.
    pub fn start_on(port: u16) -> RedisServer {
        RedisServer::launch(port, false)
    }

    /// With an append-only file written on every command: a restart keeps its data.
    pub fn start_persistent() -> RedisServer {
        RedisServer::launch(free_port(), true)
    }

    fn launch(port: u16, persistent: bool) -> RedisServer {
        let dir = std::env::temp_dir().join(format!("wasmlive-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = RedisServer { port, dir, persistent, child: None };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Start it again on the same port and directory (and data, if persistent).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is running");
        let mut command = Command::new("redis-server");
        command.args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--dir"]).arg(&self.dir);
        if self.persistent {
            command.args(["--appendonly", "yes", "--appendfsync", "always", "--save", ""]);
        } else {
            command.args(["--appendonly", "no", "--save", ""]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (Debian's package, installed by scripts/install.sh)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers() {
            assert!(Instant::now() < deadline, "redis-server did not answer on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// Run one command with `redis-cli` (Debian's redis-tools, with the server); its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli").args(["-p", &self.port.to_string()]).args(args).output().expect("redis-cli");
        assert!(out.status.success(), "redis-cli {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// SIGTERM, and wait: a clean shutdown.
    pub fn stop(&mut self) {
        self.signal(libc::SIGTERM);
    }

    /// `kill -9`, and wait.
    pub fn kill(&mut self) {
        self.signal(libc::SIGKILL);
    }

    fn signal(&mut self, signal: i32) {
        let Some(mut child) = self.child.take() else { return };
        unsafe { libc::kill(child.id() as i32, signal) };
        let _ = child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
