pub mod django;
