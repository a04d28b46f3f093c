using Cinnabar.EndToEnd.Infrastructure;

namespace Cinnabar.EndToEnd.Scripting;

/// <summary>
/// EVAL, EVALSHA, SCRIPT and FUNCTION compared byte for byte with a real Redis 7.0: a corpus of scripts written
/// the way applications write them, the reply conversions both ways (RESP2 and RESP3), and the error paths.
/// </summary>
public sealed class ScriptingDifferentialTests(DifferentialFixture f) : IClassFixture<DifferentialFixture>
{
    /// <summary>Scripts whose reply must be identical; KEYS[1] is a key of the test's own.</summary>
    public static TheoryData<string> Corpus => new()
    {
        // numbers and conversions (Lua 5.1 doubles, truncation to integers)
        "return 10/2",
        "return tostring(10/2)",
        "return 3.99",
        "return -3.99",
        "return tostring(2^53)",
        "return tostring(1/0)",
        "return tostring(0.1)",
        "return string.format('%d %5.2f %s %q %x', 3.7, 2.5, 'a', 'b\\n', 255)",
        "return {1, 2, 3.7, 'x', nil, 5}",
        "return {true, false}",
        "return true",
        "return false",
        "return nil",
        "return {ok='fine'}",
        "return {err='MYERR something'}",
        "return {double=3.5}",
        "return {big_number='123456789012345678901234567890'}",
        "return redis.status_reply('OK')",
        "return redis.error_reply('My Error')",
        "return redis.error_reply('-CODE My Error')",
        "return redis.error_reply(1)",
        "return redis.sha1hex('abc')",
        "return redis.REDIS_VERSION",
        "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_ALL, redis.LOG_WARNING}",
        // the string, table and math libraries
        "return {string.find('hello world', 'o w'), string.match('key:123', '(%a+):(%d+)')}",
        "return string.gsub('hello world', 'o', '0')",
        "local t = {} for w in string.gmatch('one two three', '%a+') do t[#t+1] = w end return t",
        "return {string.rep('ab', 3), string.upper('x'), ('abc'):len(), string.byte('A'), string.char(72, 105)}",
        "local t = {5, 2, 8, 1} table.sort(t) return t",
        "local t = {5, 2, 8, 1} table.sort(t, function(a, b) return a > b end) return t",
        "return table.concat({1, 2, 3}, ',')",
        "local t = {} table.insert(t, 'a') table.insert(t, 1, 'b') return t",
        "return {math.floor(3.7), math.ceil(3.2), math.max(1, 5, 3), math.fmod(7, 3), math.abs(-2)}",
        "return {unpack({1, 2, 3})}",
        "return select('#', 1, nil, 3)",
        "return tonumber('0x10') + tonumber('  12  ')",
        "return type(cjson) .. type(cmsgpack) .. type(bit) .. type(struct)",
        // cjson, cmsgpack, bit, struct (objects with one key: the order of several depends on the table's layout)
        "return cjson.encode({1, 2, 3})",
        "return cjson.encode({})",
        "return cjson.encode({a=1})",
        "return cjson.encode({1.5, 'x\"y/z\n', true, false, {nested={1}}})",
        "return cjson.encode(cjson.null)",
        "return cjson.encode({1e20, 0.1, -0, 123456789012345678})",
        "return cjson.encode(1/0)",
        "return cjson.encode({[1]=1, [3]=3})",
        "return cjson.encode({[1]=1, [30]=3})",
        "return cjson.encode({[1.5]=1})",
        "return cjson.encode(function() end)",
        "return cjson.encode('\\1\\127\\200')",
        "return cjson.decode('[1,2,{\"a\":null}]')[3].a == cjson.null",
        "return cjson.decode('{\"a\":[1,2.5,\"x\",true]}').a",
        "return cjson.decode('[1,2')",
        "return cjson.decode('x')",
        "return cjson.decode('{\"a\" 1}')",
        "return cjson.decode('{1:2}')",
        "return cjson.decode('[1,]')",
        "return cjson.decode('\"\\u00e9\\ud83d\\ude00\\n\"')",
        "return cjson.decode('\"\\q\"')",
        "return {cjson.decode('1e2'), cjson.decode(' -0.5 '), cjson.decode('0x10')}",
        "return cjson.decode('[[[[1]]]]')[1][1][1]",
        "return cjson.decode('[1] x')",
        "return type(cjson.null)",
        "return cjson.encode({1, nil, 3})",
        "return cmsgpack.pack(1, -1, 300, -300, 1.5, 'abc', {1, 2}, true, nil)",
        "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, 2}, 3.25, {x='y'}))}",
        "return cmsgpack.pack(2^40, -2^40, 0.1, 65536, -40000, string.rep('x', 40), string.rep('y', 300))",
        "return cmsgpack.unpack('\\193')",
        "return cmsgpack.unpack('\\205\\1')",
        "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}",
        "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}",
        "return cmsgpack.pack()",
        "return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-16, 2)}",
        "return {bit.tohex(255), bit.tohex(-1, -4), bit.tobit(2^32 + 5), bit.rol(1, 33), bit.ror(1, 1), bit.bswap(0x01020304), bit.tobit(1.5), bit.tobit(2.5)}",
        "return bit.band('x')",
        "return struct.pack('>I2', 258)",
        "return {struct.unpack('<i4', struct.pack('<i4', -5))}",
        "return struct.size('>iihd')",
        "return struct.pack('s', 'ab')",
        "return {struct.unpack('>hBc3', struct.pack('>hBc3', -2, 200, 'xyz'))}",
        "return struct.pack('d', 1.5)",
        "return {struct.unpack('!4 b i', struct.pack('!4 b i', 1, 2))}",
        "return struct.pack('z', 1)",
        "return {struct.unpack('B c0', struct.pack('B', 3) .. 'abc')}",
        // globals protection and errors
        "a = 5",
        "return undefined_global",
        "return print",
        "local t = nil; return t.x",
        "return 1 + {}",
        "return 'x' .. nil",
        "error('boom')",
        "error({err='CUSTOM failure'})",
        "error(12)",
        "return pcall(error, 'caught')",
        "return {pcall(function() error({err='x'}) end)}",
        "return 1 +",
        "return (",
        "local function f() return f() + 1 end return f()",
        // redis.call and redis.pcall
        "return redis.call('SET', KEYS[1], 'v')",
        "return redis.call('GET', KEYS[1])",
        "return redis.call('GET', KEYS[1] .. ':missing')",
        "redis.call('DEL', KEYS[1]) return redis.call('INCRBY', KEYS[1], 5)",
        "return redis.call('INCRBYFLOAT', KEYS[1], 0.1)",
        "redis.call('SET', KEYS[1], 0.1) return redis.call('GET', KEYS[1])",
        "redis.call('SET', KEYS[1], 12345678901234567) return redis.call('GET', KEYS[1])",
        "redis.call('DEL', KEYS[1]) redis.call('RPUSH', KEYS[1], 'a', 'b', 'c') return redis.call('LRANGE', KEYS[1], 0, -1)",
        "return redis.call('LPUSH', KEYS[1], 'x')",
        "return redis.pcall('LPUSH', KEYS[1], 'x')",
        "return redis.call('nosuchcommand')",
        "return redis.pcall('nosuchcommand')",
        "return redis.call('GET')",
        "return redis.call()",
        "return redis.call('GET', {})",
        "return redis.call('MULTI')",
        "return redis.call('SUBSCRIBE', 'x')",
        "return redis.call('PING')",
        "return redis.call('CLIENT', 'nosuch')",
        "return redis.call('EVAL', 'return 1', 0)",
        "return redis.call('SELECT', 1)",
        "redis.call('DEL', KEYS[1]) redis.call('HSET', KEYS[1], 'f', 'v') return redis.call('HGETALL', KEYS[1])",
        "redis.setresp(3) redis.call('DEL', KEYS[1]) redis.call('HSET', KEYS[1], 'f', 'v') return redis.call('HGETALL', KEYS[1])",
        "redis.setresp(3) return redis.call('GET', KEYS[1] .. ':nokey')",
        "redis.setresp(3) return {redis.call('GET', KEYS[1] .. ':nokey') == nil}",
        "redis.setresp(3) return true",
        "redis.setresp(3) return false",
        "redis.setresp(3) redis.call('DEL', KEYS[1]) redis.call('ZADD', KEYS[1], 1.5, 'm') return redis.call('ZSCORE', KEYS[1], 'm')",
        "return redis.setresp(4)",
        "return redis.log(redis.LOG_NOTICE, 'hello', 'from', 'a script')",
        "return redis.log()",
        "return redis.set_repl(9)",
        "return redis.replicate_commands()",
        "return redis.acl_check_cmd('get', 'x')",
        "return redis.acl_check_cmd('nosuch')",
        // patterns from libraries: lock release, rate limiter, queue move
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
        "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], 60) end return n",
        "redis.call('DEL', KEYS[1]) redis.call('ZADD', KEYS[1], 1, 'a', 2, 'b') local m = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', 2, 'LIMIT', 0, 1) redis.call('ZREM', KEYS[1], m[1]) return {m[1], redis.call('ZCARD', KEYS[1])}",
        // Lua 5.1's table layout: pairs() order, # of tables with holes, objects encoded in that order
        "return cjson.encode({a=1, b=2, c=3, d=4, e=5})",
        "return cjson.encode({name='x', id=12, tags={'a', 'b'}, active=true, score=1.5})",
        "local t = {} for i=1,20 do t['k'..i] = i end local r = {} for k, v in pairs(t) do r[#r+1] = k end return r",
        "local t = {} for i=1,10 do t[i*3] = i end local r = {} for k, v in pairs(t) do r[#r+1] = k end return r",
        "local t = {1, 2, nil, 4} return #t",
        "local t = {} t[1] = 1 t[2] = 2 t[4] = 4 return #t",
        "local t = {1, 2, 3, 4, 5, 6, 7, 8} t[16] = 1 return #t",
        "local t = {} for i=1,100 do t[i] = i end for i=1,100,2 do t[i] = nil end local r = {} for k in pairs(t) do r[#r+1] = k end return r",
        "local t = {x=1, [1]=2, [2.5]=3, y=4, [true]=5} local r = {} for k in pairs(t) do r[#r+1] = tostring(k) end return r",
        "return cjson.encode(cjson.decode('{\"b\":1,\"a\":2,\"c\":{\"z\":1,\"y\":2}}'))",
        "redis.setresp(3) return {map={a=1, b=2, c=3}}",
        "local t = {} t.z = 1 t.y = 2 t.x = 3 t.y = nil t.w = 4 local r = {} for k in pairs(t) do r[#r+1] = k end return r",
        "return cmsgpack.pack({a=1, b=2, c=3})",
        "return math.random(100)",
        "return {math.random(), math.random(1, 10)}",
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void ScriptRepliesMatchRedis(string script)
    {
        using var p = f.Pair();
        foreach (var protocol in new[] { "2", "3" })
        {
            p.Both("HELLO", protocol);
            p.Same("EVAL", script, "1", "script:key", "v");
        }
    }

    [Fact]
    public void EvalArgumentErrorsMatchRedis()
    {
        using var p = f.Pair();
        p.Same("EVAL", "return 1", "-1");
        p.Same("EVAL", "return 1", "2", "a");
        p.Same("EVAL", "return 1", "x");
        p.Same("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}", "2", "k1", "k2", "a1", "a2");
        p.Same("EVAL", "return #KEYS + #ARGV", "0");
        p.Same("EVAL");
        p.Same("EVALSHA", "abc", "0");
        p.Same("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0");
        p.Same("SCRIPT", "LOAD", "return 'loaded'");
        p.Same("EVALSHA", "8fdb1e2b5bd6d1df9e6ee4d67e51e4d1b0a0d0f8", "0");
        var sha = p.Same("SCRIPT", "LOAD", "return 'by sha'");
        p.Same("SCRIPT", "EXISTS", "ffffffffffffffffffffffffffffffffffffffff", "a");
        p.Same("SCRIPT", "LOAD", "return (");
        p.Same("SCRIPT", "FLUSH", "bad");
        p.Same("SCRIPT", "KILL");
        p.Same("FUNCTION", "KILL");
        p.Same("SCRIPT", "NOSUCH");
        p.Same("SCRIPT", "HELP");
        p.Same("FUNCTION", "HELP");
    }

    /// <summary>ACL rules apply to what a script calls, with the caller's user, and refusals are logged with context lua.</summary>
    [Fact]
    public void AclRulesApplyInsideScripts()
    {
        using var p = f.Pair();
        p.Both("ACL", "SETUSER", "scripter", "on", "nopass", "~allowed:*", "+eval", "+get", "+acl|log");
        p.Both("ACL", "LOG", "RESET");
        p.Same("AUTH", "scripter", "x");
        p.Same("EVAL", "return redis.call('GET', 'allowed:1')", "0");
        p.Same("EVAL", "return redis.call('SET', 'allowed:1', 'v')", "0");
        p.Same("EVAL", "return redis.call('GET', 'other')", "0");
        p.Same("EVAL", "return redis.pcall('SET', 'allowed:1', 'v')", "0");
        p.Same("EVAL", "return redis.acl_check_cmd('GET', 'other')", "0");
        p.Same("EVAL", "return redis.acl_check_cmd('GET', 'allowed:2')", "0");
        var redisLog = p.Redis.Call("ACL", "LOG");
        var ourLog = p.Ours.Call("ACL", "LOG");
        Assert.Contains("$3\r\nlua\r\n", redisLog);
        Assert.Contains("$3\r\nlua\r\n", ourLog);
        p.Both("AUTH", "default", "x");
        p.Both("ACL", "DELUSER", "scripter");
    }

    [Fact]
    public void ShebangFlagsMatchRedis()
    {
        using var p = f.Pair();
        p.Same("EVAL", "#!lua\nerror('x')", "0");
        p.Same("EVAL", "#!lua flags=no-writes\nreturn redis.call('SET', 'sb:a', '1')", "0");
        p.Same("EVAL", "#!lua flags=no-writes\nreturn redis.call('GET', 'sb:a')", "0");
        p.Same("EVAL", "#!lua flags=bad\nreturn 1", "0");
        p.Same("EVAL", "#!lua flags=no-writes,\nreturn 1", "0");
        p.Same("EVAL", "#!lua flags=\nreturn 1", "0");
        p.Same("EVAL", "#!lua x=1\nreturn 1", "0");
        p.Same("EVAL", "#!luax\nreturn 1", "0");
        p.Same("EVAL", "#!lua", "0");
        p.Same("EVAL_RO", "return redis.call('SET', 'sb:a', '1')", "0");
        p.Same("EVAL_RO", "#!lua\nreturn 1", "0");
        p.Same("EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('GET', 'sb:a')", "0");
        p.Same("EVAL_RO", "return redis.call('GET', 'sb:a')", "0");
    }

    [Fact]
    public void FunctionsMatchRedis()
    {
        using var p = f.Pair();
        p.Both("FUNCTION", "FLUSH");
        p.Same("FUNCTION", "LOAD", "return 1");
        p.Same("FUNCTION", "LOAD", "#!lua\nreturn 1");
        p.Same("FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib\nreturn 1");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib x=1\nreturn 1");
        p.Same("FUNCTION", "LOAD", "#!lux name=lib\nreturn 1");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function()");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f')");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 1 end, flags={'bad'}}");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib\nlocal x = string.len('a')");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib\nredis.call('ping')");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib\nsyntax error here");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib5\nredis.register_function('a-b', function() end)");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function(k, a) return redis.call('SET', k[1], a[1]) end)\n"
            + "redis.register_function{function_name='g', callback=function(k, a) error('boom') end, flags={'no-writes'}, description='desc'}");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() end)");
        p.Same("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f', function() end)");
        p.Same("FCALL", "f", "1", "fn:k", "v");
        p.Same("GET", "fn:k");
        p.Same("FCALL", "g", "0");
        p.Same("FCALL", "nosuch", "0");
        p.Same("FCALL_RO", "f", "1", "fn:k", "v");
        p.Same("FCALL", "f", "-1");
        // (Redis lists a library's functions in its dict's order, seeded at random: the listings below are of one function.)
        p.Same("FUNCTION", "LIST", "LIBRARYNAME");
        p.Same("FUNCTION", "LIST", "LIBRARYNAME", "nomatch*");
        p.Same("FUNCTION", "STATS");
        var dump = p.Same("FUNCTION", "DUMP");
        p.Same("FUNCTION", "DELETE", "nosuch");
        p.Same("FUNCTION", "DELETE", "lib");
        p.Same("FCALL", "f", "1", "fn:k", "v");
        p.Same("FUNCTION", "RESTORE", "bad payload");
        p.Same("FUNCTION", "LOAD", "REPLACE", "#!lua name=lib\nredis.register_function('f', function() return 'v2' end)");
        p.Same("FCALL", "f", "0");
        p.Same("FUNCTION", "LIST");
        p.Same("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "l*");
        p.Same("FUNCTION", "LOAD", "#!lua name=flagged\nredis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes', 'allow-oom'}}");
        p.Same("FUNCTION", "LIST", "LIBRARYNAME", "flagged");
        p.Same("FCALL_RO", "ro", "0");
        p.Same("FUNCTION", "FLUSH", "bad");
        p.Same("FUNCTION", "FLUSH");
        p.Same("FUNCTION", "LIST");
    }
}
