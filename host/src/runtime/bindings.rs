//! The one `bindgen!` over `wit/`. Generated types stay inside `runtime`.

wasmtime::component::bindgen!({
    path: "../wit/since_v0.1.0",
    world: "driver",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use tradehost::exchange::{config, http, log, state, types};
