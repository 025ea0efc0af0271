namespace Disco.Geo.Client;

/// <summary>How <see cref="DiscoClientOptions.Address"/> names the server: one address, a fixed list, or a DNS name.</summary>
internal enum AddressKind
{
    /// <summary>One http:// or https:// address: a plain channel, exactly as before replicas existed.</summary>
    Single,

    /// <summary>Several addresses separated by commas: grpc-dotnet's static resolver with round robin.</summary>
    List,

    /// <summary>dns:///host:port: grpc-dotnet's DNS resolver (every A/AAAA record is a replica) with round robin.</summary>
    Dns,
}

/// <summary>
/// The parsed <see cref="DiscoClientOptions.Address"/>. Every entry of a list is checked on its own, and a bad one is
/// named by its position and text, so a typo in DISCO_SERVER is found without reading a stack trace.
/// </summary>
/// <param name="Kind">Single, list or DNS.</param>
/// <param name="Tls">True for https:// (every entry of a list shares the first entry's scheme).</param>
/// <param name="Endpoints">The addresses (one for Single and Dns; the DNS one is the dns:/// URI itself).</param>
internal sealed record ServerAddresses(AddressKind Kind, bool Tls, IReadOnlyList<Uri> Endpoints)
{
    private const string DnsScheme = "dns";

    /// <summary>Parses an address setting; see <see cref="DiscoClientOptions.Address"/> for the forms.</summary>
    /// <exception cref="ArgumentException">The setting or one of its entries is malformed; the message says which and why.</exception>
    public static ServerAddresses Parse(string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            throw Bad("is empty; give http://host:port, several such addresses separated by commas, or dns:///host:port.");
        }

        string[] entries = setting.Split(',');
        if (entries.Length == 1)
        {
            string only = entries[0].Trim();
            if (only.StartsWith(DnsScheme + ":", StringComparison.OrdinalIgnoreCase))
            {
                return new ServerAddresses(AddressKind.Dns, false, [ParseDns(only)]);
            }

            // A single address may carry a path prefix (a proxy route), which grpc-dotnet keeps, as before.
            Uri single = ParseEntry(only, null, allowPath: true);
            return new ServerAddresses(AddressKind.Single, single.Scheme == Uri.UriSchemeHttps, [single]);
        }

        var endpoints = new List<Uri>(entries.Length);
        for (int i = 0; i < entries.Length; i++)
        {
            string entry = entries[i].Trim();
            string where = $"entry {i + 1} of {entries.Length}";
            if (entry.Length == 0)
            {
                throw Bad($"{where} is empty (check for a doubled or trailing comma in '{setting}').");
            }

            if (entry.StartsWith(DnsScheme + ":", StringComparison.OrdinalIgnoreCase))
            {
                throw Bad($"{where} ('{entry}') is a DNS name; dns:///host:port already stands for every replica behind that name and cannot be mixed with other addresses.");
            }

            Uri uri = ParseEntry(entry, where, allowPath: false);
            if (endpoints.Count > 0 && uri.Scheme != endpoints[0].Scheme)
            {
                throw Bad($"{where} ('{entry}') uses {uri.Scheme} but entry 1 uses {endpoints[0].Scheme}; one client talks to every replica the same way (all http:// or all https://).");
            }

            int earlier = endpoints.FindIndex(e => e.Authority.Equals(uri.Authority, StringComparison.OrdinalIgnoreCase));
            if (earlier >= 0)
            {
                throw Bad($"{where} ('{entry}') repeats entry {earlier + 1}; each replica is listed once.");
            }

            endpoints.Add(uri);
        }

        return new ServerAddresses(AddressKind.List, endpoints[0].Scheme == Uri.UriSchemeHttps, endpoints);
    }

    /// <summary>host:port (http:// assumed, as always), http://host:port or https://host:port.</summary>
    private static Uri ParseEntry(string entry, string? where, bool allowPath)
    {
        string label = where is null ? $"'{entry}'" : $"{where} ('{entry}')";
        string text = entry.Contains("://", StringComparison.Ordinal) ? entry : "http://" + entry;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri))
        {
            throw Bad($"{label} is not an address; write http://host:port or https://host:port.");
        }

        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw Bad($"{label} uses the scheme '{uri.Scheme}'; only http:// (plaintext HTTP/2), https:// (TLS) and, alone, dns:/// are supported.");
        }

        if (uri.Host.Length == 0)
        {
            throw Bad($"{label} has no host.");
        }

        if ((!allowPath && uri.AbsolutePath != "/") || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw Bad($"{label} has more than scheme, host and port; a replica's address has no path, query or user name.");
        }

        return uri;
    }

    /// <summary>dns:///host:port; the port is required, since a DNS name carries none.</summary>
    private static Uri ParseDns(string entry)
    {
        const string prefix = "dns:///";
        if (!entry.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || entry.Length == prefix.Length)
        {
            throw Bad($"'{entry}' is not a DNS address; write dns:///host:port (three slashes: no DNS server of its own).");
        }

        string hostPort = entry[prefix.Length..];
        if (!Uri.TryCreate("http://" + hostPort, UriKind.Absolute, out Uri? probe) || probe.Host.Length == 0 || probe.AbsolutePath != "/"
            || probe.Query.Length > 0 || probe.UserInfo.Length > 0)
        {
            throw Bad($"'{entry}' is not a DNS address; write dns:///host:port.");
        }

        if (probe.IsDefaultPort && !hostPort.EndsWith(":80", StringComparison.Ordinal))
        {
            throw Bad($"'{entry}' has no port; write dns:///{probe.Host}:50051 (or the port the replicas listen on).");
        }

        return new Uri(prefix + probe.Authority);
    }

    private static ArgumentException Bad(string what) => new($"Server address {what}", nameof(DiscoClientOptions.Address));
}
