/**
 * The shared NodePass v1.14 tunnel test vectors (`shared/data/nodepass-v1.14-tunnel-test-vectors.json`,
 * re-derived from internal/common.go), copied verbatim so the tests run from the repository alone.
 * `nodepass-key.test.ts` checks the copy against the shared file when that folder is present.
 */

/** One vector case: key derivation, bearer header and encoded control lines. */
export interface NodePassVectorCase {
  source: string;
  /** Absent when the key comes from the URL username. */
  port?: string;
  tunnelKey: string;
  authorizationHeader: string;
  signals: { json: string; line: string }[];
}

/** Where the original lives in the project workspace (outside the repository). */
export const NODEPASS_VECTORS_SHARED_PATH = '../shared/data/nodepass-v1.14-tunnel-test-vectors.json';

export const NODEPASS_VECTORS: { _comment: string; cases: NodePassVectorCase[] } = {
  "_comment": "Derived by re-implementing NodePass v1.14.0 internal/common.go (getTunnelKey, generateAuthToken, encode). Not produced by a real NodePass binary. Each signal line on the control connection is the base64 string followed by a single '\\n'. JSON is Go encoding/json output of struct Signal{action,remote,id,fp} with omitempty.",
  "cases": [
    {
      "source": "no userinfo; key = hex(FNV-1a-32(port string))",
      "port": "10101",
      "tunnelKey": "e68be2b4",
      "authorizationHeader": "Bearer 8940572756af096447802f92b4c843ac61de93b80af9d37a85ed994508656d7e",
      "signals": [
        {
          "json": "{\"action\":\"ping\"}",
          "line": "HhRZARFbDVpHDBoSDFwFFhg="
        },
        {
          "json": "{\"action\":\"tcp\",\"remote\":\"203.0.113.5:40000\",\"id\":\"1a2b3c4d\"}",
          "line": "HhRZARFbDVpHDBoWBkJAGEdEXQ8KRgcWXxQKUlYcUhpUBwtMUAhWBFUGCEBJEAtQRwwaUwQAAAcGAlxAGA=="
        }
      ]
    },
    {
      "source": "no userinfo; key = hex(FNV-1a-32(port string))",
      "port": "443",
      "tunnelKey": "2339c1b2",
      "authorizationHeader": "Bearer 818a2a6efd34af655747a126cca2988a54ff00441c42ef1bc2ef9ea90aadfd31",
      "signals": [
        {
          "json": "{\"action\":\"ping\"}",
          "line": "SRFSWhdYDVwQCRFJCl8FEE8="
        },
        {
          "json": "{\"action\":\"tcp\",\"remote\":\"203.0.113.5:40000\",\"id\":\"1a2b3c4d\"}",
          "line": "SRFSWhdYDVwQCRFNAEFAHhBBVlQMRQcQCBEBCVAfUhwDAgAXVgtWAgIDAxtPEwtWEAkRCAIDAAFRB1cbHg=="
        }
      ]
    },
    {
      "source": "no userinfo; key = hex(FNV-1a-32(port string))",
      "port": "8080",
      "tunnelKey": "40c0f1e5",
      "authorizationHeader": "Bearer 52846031b53b2ad639ee49ea53a7b0394ca1a40e62886c4d702e3aa35d4ad300",
      "signals": [
        {
          "json": "{\"action\":\"ping\"}",
          "line": "TxICUxJYClsWCkFAD18CF0k="
        },
        {
          "json": "{\"action\":\"tcp\",\"remote\":\"203.0.113.5:40000\",\"id\":\"1a2b3c4d\"}",
          "line": "TxICUxJYClsWCkFEBUFHGRZCBl0JRQAXDhJRAFUfVRsFAVAeUwtRBQQAUxJKEwxRFgpBAQcDBwZXBAcSGw=="
        }
      ]
    },
    {
      "source": "URL userinfo e.g. server://mysecret@0.0.0.0:10101/...",
      "tunnelKey": "mysecret",
      "authorizationHeader": "Bearer 9074a74de0f34ece3f046403ae88d2eea400281da0ed6ebfa76c949016fa672d",
      "signals": [
        {
          "json": "{\"action\":\"pong\"}",
          "line": "FlsSBhcbChpPQ1EVDBwCVhA="
        }
      ]
    }
  ]
};
