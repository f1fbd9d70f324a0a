//! The `bindgen!`s over `wit/`, one module per contract version the host
//! speaks. Generated types stay inside `runtime`: `since_v0_1` adapts the
//! older contract to the current one, and `convert` turns the current one
//! into domain types.

/// `tradehost:exchange@0.2.0`, the current contract.
pub mod current {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.2.0",
        world: "driver",
        imports: { default: async | trappable },
        exports: { default: async },
    });

    pub use tradehost::exchange::{config, http, log, state, types};
}

/// `tradehost:exchange@0.1.0`: drivers built before 0.2.0 keep loading.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.1.0",
        world: "driver",
        imports: { default: async | trappable },
        exports: { default: async },
    });

    pub use tradehost::exchange::{config, http, log, state, types};
}
