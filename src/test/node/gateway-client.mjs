// A Discord bot's gateway connection made with @discordjs/ws, a library Gatehouse did not write. It logs in
// with the shard count /gateway/bot recommends and zlib-stream compression, and prints one JSON line per
// thing it sees, so NodeClientTest can compare them with the simulator's truth.
//
// Environment: DISCORD_API (REST base, e.g. http://127.0.0.1:PORT/api) and DISCORD_TOKEN.
// Standard input: the line "stop" closes every shard with 1000 and exits.
import { createInterface } from 'node:readline';
import { REST } from '@discordjs/rest';
import { CompressionMethod, WebSocketManager, WebSocketShardEvents } from '@discordjs/ws';
import { GatewayDispatchEvents, GatewayIntentBits } from 'discord-api-types/v10';

const api = process.env.DISCORD_API;
const token = process.env.DISCORD_TOKEN;
if (!api || !token) {
	console.error('gateway-client: set DISCORD_API and DISCORD_TOKEN');
	process.exit(2);
}

const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

const guildEvents = new Set([GatewayDispatchEvents.GuildCreate, GatewayDispatchEvents.GuildUpdate, GatewayDispatchEvents.GuildDelete]);

/** The guild a dispatch belongs to: the guild events carry it as d.id, the others as d.guild_id; none is "0". */
function guildOf(payload) {
	if (guildEvents.has(payload.t)) {
		return payload.d.id;
	}
	return payload.d?.guild_id ?? '0';
}

const rest = new REST({ api, version: '10' }).setToken(token);
const manager = new WebSocketManager({
	token,
	intents:
		GatewayIntentBits.Guilds |
		GatewayIntentBits.GuildMembers |
		GatewayIntentBits.GuildPresences |
		GatewayIntentBits.GuildMessages |
		GatewayIntentBits.GuildMessageTyping |
		GatewayIntentBits.MessageContent,
	compression: CompressionMethod.ZlibNative,
	rest,
});

manager.on(WebSocketShardEvents.Dispatch, (payload, shard) =>
	print({ event: 'dispatch', shard, s: payload.s, t: payload.t, guild: guildOf(payload) }),
);
manager.on(WebSocketShardEvents.Ready, (data, shard) =>
	print({ event: 'ready', shard, session: data.session_id, shardInfo: data.shard, guilds: data.guilds.length }),
);
manager.on(WebSocketShardEvents.Resumed, (shard) => print({ event: 'resumed', shard }));
manager.on(WebSocketShardEvents.Closed, (code, shard) => print({ event: 'closed', shard, code }));
manager.on(WebSocketShardEvents.Error, (error, shard) => print({ event: 'error', shard, message: String(error) }));
manager.on(WebSocketShardEvents.Debug, (message, shard) => print({ event: 'debug', shard, message }));

createInterface({ input: process.stdin }).on('line', async (line) => {
	if (line.trim() === 'stop') {
		await manager.destroy({ code: 1000, reason: 'test over' });
		print({ event: 'stopped' });
		process.exit(0);
	}
});

try {
	await manager.connect();
	const gateway = await manager.fetchGatewayInformation();
	print({ event: 'connected', url: gateway.url, shards: await manager.getShardCount() });
} catch (error) {
	print({ event: 'error', shard: -1, message: String(error?.stack ?? error) });
	process.exit(1);
}
