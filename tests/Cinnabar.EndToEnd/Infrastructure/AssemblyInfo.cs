// The end-to-end tests start real servers (ours in-process, redis-server processes) and many measure
// timing (timeouts, expiry, blocking). On a 2-core machine, running classes in parallel makes them
// compete for CPU and flake, so classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
