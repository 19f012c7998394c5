//! Entry point: mounts the Yew app in the browser.

fn main() {
    #[cfg(target_arch = "wasm32")]
    lockstep::start();
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("Lockstep is a web app: run ./scripts/serve.sh and open http://127.0.0.1:8080");
}
