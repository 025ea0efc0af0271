using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Options;

return await DiscoServer.RunAsync(args);
