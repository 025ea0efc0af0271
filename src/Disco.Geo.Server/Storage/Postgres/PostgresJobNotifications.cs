using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Npgsql;

namespace Disco.Geo.Server.Storage.Postgres;

/// <summary>
/// The ids of jobs whose record changed on any replica, heard with PostgreSQL LISTEN on the
/// <see cref="PostgresDatabase.JobChannel"/> channel (<see cref="PostgresJobStore"/> notifies in the same statement as
/// each change).
/// </summary>
/// <remarks>
/// Each <see cref="ListenAsync"/> holds one dedicated connection. When it breaks (database restart, network loss) the
/// listener reconnects, with a growing pause, and listens again; notifications sent while it was away are lost, which
/// is why a watcher re-reads the job's state after <see cref="Listening"/> fires again (and polls as a fallback).
/// </remarks>
internal sealed class PostgresJobNotifications
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(5);
    private readonly PostgresDatabase _database;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresJobNotifications> _logger;

    public PostgresJobNotifications(PostgresDatabase database, TimeProvider time, ILogger<PostgresJobNotifications> logger)
    {
        _database = database;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised each time a listener's LISTEN is in place: at first, and after every reconnection.</summary>
    public event Action? Listening;

    /// <summary>
    /// Yields the payload of every job change from now on (the job's id, marked as <see cref="JobChangeNotices"/>
    /// says when the change may make it claimable), until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async IAsyncEnumerable<string> ListenAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var ids = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task pump = PumpAsync(ids.Writer, stop.Token);
        try
        {
            await foreach (string id in ids.Reader.ReadAllAsync(cancellationToken))
            {
                yield return id;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await pump;
        }
    }

    private async Task PumpAsync(ChannelWriter<string> ids, CancellationToken cancellationToken)
    {
        TimeSpan retry = FirstRetry;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection connection = await _database.OpenAsync(cancellationToken);
                connection.Notification += (_, e) => ids.TryWrite(e.Payload);
                await PostgresDatabase.ExecuteAsync(connection, $"LISTEN {PostgresDatabase.JobChannel};", cancellationToken);
                retry = FirstRetry;
                Listening?.Invoke();
                while (true)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException)
            {
                _logger.LogWarning("Listening for job changes failed ({Error}); reconnecting in {Delay} ms", e.Message, (int)retry.TotalMilliseconds);
            }

            try
            {
                await Task.Delay(retry, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
        }

        ids.TryComplete();
    }
}
