package nfs

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// readBlobFormat decodes a file Elasticsearch (or OpenSearch) wrote with its ChecksumBlobStoreFormat: a Lucene
// codec header (magic 0x3FD76C17, the codec's name, a version), the content, optionally deflated (a "DFL\0"
// marker, then raw deflate), in Smile, and a 16-byte footer (magic, algorithm, CRC32). Checked on files written
// by Elasticsearch 7.10, 7.17, 8.19 and OpenSearch 2.19, compressed and not.
func readBlobFormat(b []byte) (any, error) {
	const codecMagic, footerMagic = 0x3FD76C17, 0xC02893E8
	if len(b) < 4+1+4+16 || binary.BigEndian.Uint32(b) != codecMagic {
		return nil, errors.New("not an Elasticsearch metadata blob (no codec header)")
	}
	// The footer's checksum (CRC32 of everything before it) tells a complete file from a damaged or cut one.
	foot := b[len(b)-16:]
	if binary.BigEndian.Uint32(foot) != footerMagic || binary.BigEndian.Uint64(foot[8:]) != uint64(crc32.ChecksumIEEE(b[:len(b)-8])) {
		return nil, errors.New("its checksum does not match (a damaged or incomplete file)")
	}
	i := 4
	// the codec name: a Lucene VInt length (7 bits per byte, little-endian, high bit = more), then its bytes
	n, shift := 0, 0
	for {
		if i >= len(b) || shift > 28 {
			return nil, errors.New("damaged codec header")
		}
		c := b[i]
		i++
		n |= int(c&0x7F) << shift
		if c&0x80 == 0 {
			break
		}
		shift += 7
	}
	i += n + 4 // name, version
	if i > len(b)-16 {
		return nil, errors.New("damaged codec header")
	}
	body := b[i : len(b)-16]
	if bytes.HasPrefix(body, []byte("DFL\x00")) {
		r := flate.NewReader(bytes.NewReader(body[4:]))
		defer r.Close()
		plain, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("inflate: %w", err)
		}
		body = plain
	}
	return decodeSmile(body)
}
