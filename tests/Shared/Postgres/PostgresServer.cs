using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Disco.Geo;

/// <summary>
/// A real PostgreSQL for tests: a fresh cluster (<c>initdb</c>) in a temporary directory, started with <c>pg_ctl</c>
/// and listening only on a Unix socket in that directory (no TCP port, so nothing to race for), stopped with
/// <c>pg_ctl stop -m immediate</c> on dispose. PostgreSQL refuses to run as root, so when the tests run as root the
/// directory is handed to the <c>postgres</c> system user (made by Debian's package) and the tools run through
/// <c>runuser</c>. Each test asks for its own database (<see cref="CreateDatabaseAsync"/>); one cluster serves many.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private const string Superuser = "postgres";
    private static int _databases;
    private readonly string _bin;
    private readonly bool _asPostgresUser;

    private PostgresServer(string root, string bin, bool asPostgresUser)
    {
        Root = root;
        _bin = bin;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The temporary directory: the cluster's data in data/, the socket and the log beside it.</summary>
    public string Root { get; }

    private string DataPath => Path.Combine(Root, "data");

    private string LogPath => Path.Combine(Root, "server.log");

    /// <summary>
    /// Debian's server binaries (package postgresql, installed by scripts/ensure-deps.sh): the newest
    /// /usr/lib/postgresql/&lt;major&gt;/bin that has initdb. Null when none is installed.
    /// </summary>
    public static string? FindBinaries()
    {
        const string Base = "/usr/lib/postgresql";
        if (!Directory.Exists(Base))
        {
            return null;
        }

        return Directory.EnumerateDirectories(Base)
            .Select(d => (Directory: d, Major: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int major) ? major : -1))
            .Where(d => d.Major >= 0 && File.Exists(Path.Combine(d.Directory, "bin", "initdb")))
            .OrderByDescending(d => d.Major)
            .Select(d => Path.Combine(d.Directory, "bin"))
            .FirstOrDefault();
    }

    public static async Task<PostgresServer> StartAsync()
    {
        string bin = FindBinaries()
            ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run scripts/ensure-deps.sh (Debian package postgresql).");
        // Short: a Unix socket path must fit in 107 bytes.
        string root = Directory.CreateTempSubdirectory("dgpg-").FullName;
        bool asPostgresUser = Environment.UserName == "root";
        var server = new PostgresServer(root, bin, asPostgresUser);
        try
        {
            if (asPostgresUser)
            {
                await RunAsync("chown", [Superuser + ":", root]);
            }

            await server.RunToolAsync("initdb", ["-D", server.DataPath, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]);
            await server.StartAgainAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// Starts the stopped cluster again on the same socket and data (also the first start). Durability is off: a test
    /// cluster is thrown away, and fsync on 2 shared cores costs seconds; committed rows survive a fast stop.
    /// </summary>
    public Task StartAgainAsync()
    {
        string options = $"-c listen_addresses='' -k {Root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        return RunToolAsync("pg_ctl", ["-D", DataPath, "-l", LogPath, "-w", "-t", "60", "-o", options, "start"]);
    }

    /// <summary>Stops the cluster as an outage would (<c>pg_ctl stop -m fast</c>: open connections are cut, the data is kept).</summary>
    public Task StopAsync() => RunToolAsync("pg_ctl", ["-D", DataPath, "-m", "fast", "-w", "stop"]);

    /// <summary>Creates an empty database and returns its Npgsql connection string (over the Unix socket).</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        string name = "test_" + Interlocked.Increment(ref _databases).ToString(CultureInfo.InvariantCulture) + "_" + Guid.NewGuid().ToString("N")[..8];
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres", pooling: false)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\";", connection);
            await command.ExecuteNonQueryAsync();
        }

        return ConnectionString(name, pooling: true);
    }

    /// <summary>The server's log, for failure messages.</summary>
    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataPath, "postmaster.pid")))
        {
            try
            {
                await RunToolAsync("pg_ctl", ["-D", DataPath, "-m", "immediate", "-w", "stop"]);
            }
            catch (InvalidOperationException)
            {
                // Already gone: nothing to stop.
            }
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string ConnectionString(string database, bool pooling) => new NpgsqlConnectionStringBuilder
    {
        Host = Root,
        Username = Superuser,
        Database = database,
        Pooling = pooling,
        IncludeErrorDetail = true,
    }.ConnectionString;

    private Task RunToolAsync(string tool, IReadOnlyList<string> arguments) =>
        _asPostgresUser
            ? RunAsync("runuser", ["-u", Superuser, "--", Path.Combine(_bin, tool), .. arguments])
            : RunAsync(Path.Combine(_bin, tool), arguments);

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        // pg_ctl start leaves the server running with our pipes inherited; read until the tool itself exits.
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            var message = new StringBuilder($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n");
            message.Append(await Completed(output)).Append(await Completed(error));
            throw new InvalidOperationException(message.ToString());
        }
    }

    private static async Task<string> Completed(Task<string> text) =>
        await Task.WhenAny(text, Task.Delay(TimeSpan.FromSeconds(1))) == text ? await text : "";
}
