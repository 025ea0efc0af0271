namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// The tests that stop, kill or restart servers. They run one at a time, after the parallel tests, so a shutdown
/// drain, a kill -9 or a restart on a known port never shares the machine with the rest of the suite.
/// </summary>
[CollectionDefinition(Collection, DisableParallelization = true)]
public sealed class Lifecycle
{
    public const string Collection = "Server lifecycle";
}
