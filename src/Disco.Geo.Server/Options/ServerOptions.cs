namespace Disco.Geo.Server.Options;

/// <summary>
/// Where the server listens. Bound from the "Server" configuration section (appsettings.json, DISCO_SERVER__*
/// environment variables, or --listen / --http-listen on the command line).
/// </summary>
public sealed class ServerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Server";

    /// <summary>gRPC endpoints as "host:port" (HTTP/2 cleartext, or HTTP/2 over TLS when a certificate is set). Port 0 picks a free port.</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>
    /// HTTP/1.1 endpoints for /metrics, /tiles and /healthz. Cleartext Kestrel cannot serve HTTP/1.1 and HTTP/2 on one
    /// port, so these get their own; empty disables them.
    /// </summary>
    public List<string> HttpListen { get; set; } = [];

    /// <summary>
    /// Origins allowed to read /tiles from a web page (CORS): "*" (the default, any origin), a comma-separated list such
    /// as "https://maps.example.org,http://localhost:8080", or "none".
    /// </summary>
    public string CorsOrigins { get; set; } = OptionDefaults.CorsOrigins;

    /// <summary>
    /// The directory holding leaflet.js and leaflet.css (Debian's libjs-leaflet), served under /tiles/leaflet/ for the
    /// map viewer page; when the files are missing the viewer page says which package to install.
    /// </summary>
    public string LeafletDirectory { get; set; } = OptionDefaults.LeafletDirectory;

    /// <summary>
    /// A path prefix the HTTP endpoints are served under (e.g. "/disco" behind a reverse proxy that forwards
    /// /disco/tiles/... unchanged); tile documents build their URLs with it. Empty: served at the root.
    /// </summary>
    public string PathBase { get; set; } = "";

    /// <summary>How long health reports NOT_SERVING before the server stops accepting calls, so balancers drain it.</summary>
    public TimeSpan ShutdownDrain { get; set; } = TimeSpan.FromSeconds(OptionDefaults.ShutdownDrainSeconds);
}
