// Command tlog-client verifies a Tanba ledger served over HTTP using only Go's reference
// transparency-log packages, golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog.
// It contains no Tanba code: it is the "standard client" of the ledger's acceptance test.
//
//	tlog-client -url http://127.0.0.1:8080/ledger -vkey <vkey> [-old checkpoint-file] [-save file]
//
// It checks the checkpoint signature, authenticates every tile it reads against the signed
// root (tlog.TileHashReader), hashes every entry of every entry bundle and compares it with the
// authenticated leaf hash, checks server-made inclusion and consistency proofs with
// tlog.CheckRecord / tlog.CheckTree, and, given an older checkpoint, proves the new tree
// consistent with it. Exit status 0 means every check passed.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8 // fixed by c2sp.org/tlog-tiles

var base string

func get(path string) []byte {
	resp, err := http.Get(base + "/" + path)
	if err != nil {
		fail("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: status %d %v", path, resp.StatusCode, err)
	}
	return body
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// c2spPath turns sumdb's tile/H/L/N path into c2sp.org/tlog-tiles' tile/L/N (H is always 8).
func c2spPath(t tlog.Tile) string {
	if t.H != height {
		fail("unexpected tile height %d", t.H)
	}
	return strings.Replace(t.Path(), "tile/8/", "tile/", 1)
}

type tileReader struct{}

func (tileReader) Height() int { return height }
func (tileReader) SaveTiles([]tlog.Tile, [][]byte) {}
func (tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		out[i] = get(c2spPath(t))
	}
	return out, nil
}

type checkpoint struct {
	origin string
	tree   tlog.Tree
}

func openCheckpoint(msg []byte, verifier note.Verifier) checkpoint {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		fail("checkpoint text has fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("checkpoint hash: %v", err)
	}
	if lines[0] != verifier.Name() {
		fail("checkpoint origin %q is not the key name %q", lines[0], verifier.Name())
	}
	return checkpoint{lines[0], tlog.Tree{N: size, Hash: h}}
}

func decodeHashes(in []string) []tlog.Hash {
	out := make([]tlog.Hash, len(in))
	for i, s := range in {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			fail("bad hash %q in proof", s)
		}
		copy(out[i][:], b)
	}
	return out
}

func main() {
	url := flag.String("url", "", "log prefix, e.g. http://127.0.0.1:8080/ledger")
	vkey := flag.String("vkey", "", "verifier key")
	old := flag.String("old", "", "file with an earlier checkpoint to prove consistency with")
	save := flag.String("save", "", "write the verified checkpoint to this file")
	flag.Parse()
	base = strings.TrimRight(*url, "/")

	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg := get("checkpoint")
	cp := openCheckpoint(msg, verifier)
	tree := cp.tree
	thr := tlog.TileHashReader(tree, tileReader{})

	// Every entry: hash it and compare with the authenticated level-0 hash.
	for start := int64(0); start < tree.N; start += 1 << height {
		w := tree.N - start
		if w > 1<<height {
			w = 1 << height
		}
		t := tlog.Tile{H: height, L: -1, N: start >> height, W: int(w)}
		path := strings.Replace(c2spPath(tlog.Tile{H: height, L: 0, N: t.N, W: t.W}), "tile/0/", "tile/entries/", 1)
		bundle := get(path)
		indexes := make([]int64, w)
		for i := range indexes {
			indexes[i] = tlog.StoredHashIndex(0, start+int64(i))
		}
		hashes, err := thr.ReadHashes(indexes)
		if err != nil {
			fail("reading leaf hashes %d..%d: %v", start, start+w, err)
		}
		for i := int64(0); i < w; i++ {
			if len(bundle) < 2 {
				fail("%s: truncated at entry %d", path, start+i)
			}
			n := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+n {
				fail("%s: entry %d shorter than its length", path, start+i)
			}
			if tlog.RecordHash(bundle[2:2+n]) != hashes[i] {
				fail("entry %d in %s does not match the signed tree", start+i, path)
			}
			bundle = bundle[2+n:]
		}
		if len(bundle) != 0 {
			fail("%s: %d trailing bytes", path, len(bundle))
		}
	}

	// Server-made inclusion proofs, checked by the reference code.
	for _, i := range []int64{0, tree.N / 2, tree.N - 1} {
		if tree.N == 0 {
			break
		}
		var p struct {
			Index    int64    `json:"index"`
			TreeSize int64    `json:"tree_size"`
			LeafHash string   `json:"leaf_hash"`
			Proof    []string `json:"proof"`
		}
		if err := json.Unmarshal(get(fmt.Sprintf("proof/inclusion?index=%d&size=%d", i, tree.N)), &p); err != nil {
			fail("inclusion proof JSON: %v", err)
		}
		leaf, _ := thr.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err := tlog.CheckRecord(decodeHashes(p.Proof), tree.N, tree.Hash, i, leaf[0]); err != nil {
			fail("server inclusion proof for %d: %v", i, err)
		}
	}

	if *old != "" {
		oldMsg, err := os.ReadFile(*old)
		if err != nil {
			fail("reading %s: %v", *old, err)
		}
		prev := openCheckpoint(oldMsg, verifier)
		if prev.tree.N > tree.N {
			fail("log rolled back from %d to %d", prev.tree.N, tree.N)
		}
		if prev.tree.N > 0 {
			proof, err := tlog.ProveTree(tree.N, prev.tree.N, thr)
			if err != nil {
				fail("building consistency proof: %v", err)
			}
			if err := tlog.CheckTree(proof, tree.N, tree.Hash, prev.tree.N, prev.tree.Hash); err != nil {
				fail("tree %d is not consistent with earlier tree %d: %v", tree.N, prev.tree.N, err)
			}
			var p struct {
				Proof []string `json:"proof"`
			}
			if err := json.Unmarshal(get(fmt.Sprintf("proof/consistency?from=%d&to=%d", prev.tree.N, tree.N)), &p); err != nil {
				fail("consistency proof JSON: %v", err)
			}
			if err := tlog.CheckTree(decodeHashes(p.Proof), tree.N, tree.Hash, prev.tree.N, prev.tree.Hash); err != nil {
				fail("server consistency proof %d→%d: %v", prev.tree.N, tree.N, err)
			}
		}
		fmt.Printf("consistent with earlier checkpoint of size %d\n", prev.tree.N)
	}
	if *save != "" {
		if err := os.WriteFile(*save, msg, 0o644); err != nil {
			fail("saving checkpoint: %v", err)
		}
	}
	if !bytes.HasPrefix(msg, []byte(cp.origin+"\n")) {
		fail("checkpoint does not start with its origin")
	}
	fmt.Printf("OK %s size %d root %s: signature, every tile and every entry verified\n", cp.origin, tree.N, tree.Hash)
}
