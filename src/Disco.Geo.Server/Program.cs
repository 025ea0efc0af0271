using Disco.Geo.Server.Hosting;

return await DiscoServer.RunAsync(args);
