package main

// nalFiller is the H.264 filler-data NAL unit type (ITU-T H.264 table 7-1),
// which the media plan pads frames with.
const nalFiller = 12

// avccLengthSize is the NAL length field width of the frames kvsctl sends:
// 4 octets, as the KVS producer SDK writes them (lengthSizeMinusOne = 3),
// and as mediasource gives them.
const avccLengthSize = 4
