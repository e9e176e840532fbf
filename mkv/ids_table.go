// Element IDs and the element table below follow the EBML schema of RFC 9559
// (ebml_matroska.xml of ietf-wg-cellar/matroska-specification, commit 6d707bb)
// and the EBML Header and Global Elements of RFC 8794. Names are the RFC names;
// where libmatroska used another name it is given in the comment.

package mkv

// Element IDs, named after the RFC 8794 and RFC 9559 element names.
const (
	// IDEBML is the EBML element (\EBML, RFC 8794).
	IDEBML ID = 0x1A45DFA3
	// IDEBMLVersion is the EBMLVersion element (\EBML\EBMLVersion, RFC 8794).
	IDEBMLVersion ID = 0x4286
	// IDEBMLReadVersion is the EBMLReadVersion element (\EBML\EBMLReadVersion, RFC 8794).
	IDEBMLReadVersion ID = 0x42F7
	// IDEBMLMaxIDLength is the EBMLMaxIDLength element (\EBML\EBMLMaxIDLength, RFC 8794).
	IDEBMLMaxIDLength ID = 0x42F2
	// IDEBMLMaxSizeLength is the EBMLMaxSizeLength element (\EBML\EBMLMaxSizeLength, RFC 8794).
	IDEBMLMaxSizeLength ID = 0x42F3
	// IDDocType is the DocType element (\EBML\DocType, RFC 8794).
	IDDocType ID = 0x4282
	// IDDocTypeVersion is the DocTypeVersion element (\EBML\DocTypeVersion, RFC 8794).
	IDDocTypeVersion ID = 0x4287
	// IDDocTypeReadVersion is the DocTypeReadVersion element (\EBML\DocTypeReadVersion, RFC 8794).
	IDDocTypeReadVersion ID = 0x4285
	// IDDocTypeExtension is the DocTypeExtension element (\EBML\DocTypeExtension, RFC 8794).
	IDDocTypeExtension ID = 0x4281
	// IDDocTypeExtensionName is the DocTypeExtensionName element (\EBML\DocTypeExtension\DocTypeExtensionName, RFC 8794).
	IDDocTypeExtensionName ID = 0x4283
	// IDDocTypeExtensionVersion is the DocTypeExtensionVersion element (\EBML\DocTypeExtension\DocTypeExtensionVersion, RFC 8794).
	IDDocTypeExtensionVersion ID = 0x4284
	// IDCRC32 is the CRC-32 element, a Global Element allowed in any Master Element (RFC 8794).
	IDCRC32 ID = 0xBF
	// IDVoid is the Void element, a Global Element allowed in any Master Element (RFC 8794).
	IDVoid ID = 0xEC
	// IDSegment is the Segment element (\Segment, RFC 9559). It may have an unknown size.
	IDSegment ID = 0x18538067
	// IDSeekHead is the SeekHead element (\Segment\SeekHead, RFC 9559).
	IDSeekHead ID = 0x114D9B74
	// IDSeek is the Seek element (\Segment\SeekHead\Seek, RFC 9559).
	IDSeek ID = 0x4DBB
	// IDSeekID is the SeekID element (\Segment\SeekHead\Seek\SeekID, RFC 9559).
	IDSeekID ID = 0x53AB
	// IDSeekPosition is the SeekPosition element (\Segment\SeekHead\Seek\SeekPosition, RFC 9559).
	IDSeekPosition ID = 0x53AC
	// IDInfo is the Info element (\Segment\Info, RFC 9559).
	IDInfo ID = 0x1549A966
	// IDSegmentUUID is the SegmentUUID element (\Segment\Info\SegmentUUID, RFC 9559). libmatroska calls it SegmentUID.
	IDSegmentUUID ID = 0x73A4
	// IDSegmentFilename is the SegmentFilename element (\Segment\Info\SegmentFilename, RFC 9559).
	IDSegmentFilename ID = 0x7384
	// IDPrevUUID is the PrevUUID element (\Segment\Info\PrevUUID, RFC 9559). libmatroska calls it PrevUID.
	IDPrevUUID ID = 0x3CB923
	// IDPrevFilename is the PrevFilename element (\Segment\Info\PrevFilename, RFC 9559).
	IDPrevFilename ID = 0x3C83AB
	// IDNextUUID is the NextUUID element (\Segment\Info\NextUUID, RFC 9559). libmatroska calls it NextUID.
	IDNextUUID ID = 0x3EB923
	// IDNextFilename is the NextFilename element (\Segment\Info\NextFilename, RFC 9559).
	IDNextFilename ID = 0x3E83BB
	// IDSegmentFamily is the SegmentFamily element (\Segment\Info\SegmentFamily, RFC 9559).
	IDSegmentFamily ID = 0x4444
	// IDChapterTranslate is the ChapterTranslate element (\Segment\Info\ChapterTranslate, RFC 9559).
	IDChapterTranslate ID = 0x6924
	// IDChapterTranslateID is the ChapterTranslateID element (\Segment\Info\ChapterTranslate\ChapterTranslateID, RFC 9559).
	IDChapterTranslateID ID = 0x69A5
	// IDChapterTranslateCodec is the ChapterTranslateCodec element (\Segment\Info\ChapterTranslate\ChapterTranslateCodec, RFC 9559).
	IDChapterTranslateCodec ID = 0x69BF
	// IDChapterTranslateEditionUID is the ChapterTranslateEditionUID element (\Segment\Info\ChapterTranslate\ChapterTranslateEditionUID, RFC 9559).
	IDChapterTranslateEditionUID ID = 0x69FC
	// IDTimestampScale is the TimestampScale element (\Segment\Info\TimestampScale, RFC 9559). libmatroska calls it TimecodeScale.
	IDTimestampScale ID = 0x2AD7B1
	// IDDuration is the Duration element (\Segment\Info\Duration, RFC 9559).
	IDDuration ID = 0x4489
	// IDDateUTC is the DateUTC element (\Segment\Info\DateUTC, RFC 9559).
	IDDateUTC ID = 0x4461
	// IDTitle is the Title element (\Segment\Info\Title, RFC 9559).
	IDTitle ID = 0x7BA9
	// IDMuxingApp is the MuxingApp element (\Segment\Info\MuxingApp, RFC 9559).
	IDMuxingApp ID = 0x4D80
	// IDWritingApp is the WritingApp element (\Segment\Info\WritingApp, RFC 9559).
	IDWritingApp ID = 0x5741
	// IDCluster is the Cluster element (\Segment\Cluster, RFC 9559). It may have an unknown size.
	IDCluster ID = 0x1F43B675
	// IDTimestamp is the Timestamp element (\Segment\Cluster\Timestamp, RFC 9559). libmatroska calls it ClusterTimecode.
	IDTimestamp ID = 0xE7
	// IDSilentTracks is the SilentTracks element (\Segment\Cluster\SilentTracks, RFC 9559). libmatroska calls it ClusterSilentTracks. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDSilentTracks ID = 0x5854
	// IDSilentTrackNumber is the SilentTrackNumber element (\Segment\Cluster\SilentTracks\SilentTrackNumber, RFC 9559). libmatroska calls it ClusterSilentTrackNumber. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDSilentTrackNumber ID = 0x58D7
	// IDPosition is the Position element (\Segment\Cluster\Position, RFC 9559). libmatroska calls it ClusterPosition.
	IDPosition ID = 0xA7
	// IDPrevSize is the PrevSize element (\Segment\Cluster\PrevSize, RFC 9559). libmatroska calls it ClusterPrevSize.
	IDPrevSize ID = 0xAB
	// IDSimpleBlock is the SimpleBlock element (\Segment\Cluster\SimpleBlock, RFC 9559).
	IDSimpleBlock ID = 0xA3
	// IDBlockGroup is the BlockGroup element (\Segment\Cluster\BlockGroup, RFC 9559).
	IDBlockGroup ID = 0xA0
	// IDBlock is the Block element (\Segment\Cluster\BlockGroup\Block, RFC 9559).
	IDBlock ID = 0xA1
	// IDBlockVirtual is the BlockVirtual element (\Segment\Cluster\BlockGroup\BlockVirtual, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDBlockVirtual ID = 0xA2
	// IDBlockAdditions is the BlockAdditions element (\Segment\Cluster\BlockGroup\BlockAdditions, RFC 9559).
	IDBlockAdditions ID = 0x75A1
	// IDBlockMore is the BlockMore element (\Segment\Cluster\BlockGroup\BlockAdditions\BlockMore, RFC 9559).
	IDBlockMore ID = 0xA6
	// IDBlockAdditional is the BlockAdditional element (\Segment\Cluster\BlockGroup\BlockAdditions\BlockMore\BlockAdditional, RFC 9559).
	IDBlockAdditional ID = 0xA5
	// IDBlockAddID is the BlockAddID element (\Segment\Cluster\BlockGroup\BlockAdditions\BlockMore\BlockAddID, RFC 9559).
	IDBlockAddID ID = 0xEE
	// IDBlockDuration is the BlockDuration element (\Segment\Cluster\BlockGroup\BlockDuration, RFC 9559).
	IDBlockDuration ID = 0x9B
	// IDReferencePriority is the ReferencePriority element (\Segment\Cluster\BlockGroup\ReferencePriority, RFC 9559).
	IDReferencePriority ID = 0xFA
	// IDReferenceBlock is the ReferenceBlock element (\Segment\Cluster\BlockGroup\ReferenceBlock, RFC 9559).
	IDReferenceBlock ID = 0xFB
	// IDReferenceVirtual is the ReferenceVirtual element (\Segment\Cluster\BlockGroup\ReferenceVirtual, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDReferenceVirtual ID = 0xFD
	// IDCodecState is the CodecState element (\Segment\Cluster\BlockGroup\CodecState, RFC 9559).
	IDCodecState ID = 0xA4
	// IDDiscardPadding is the DiscardPadding element (\Segment\Cluster\BlockGroup\DiscardPadding, RFC 9559).
	IDDiscardPadding ID = 0x75A2
	// IDSlices is the Slices element (\Segment\Cluster\BlockGroup\Slices, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDSlices ID = 0x8E
	// IDTimeSlice is the TimeSlice element (\Segment\Cluster\BlockGroup\Slices\TimeSlice, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDTimeSlice ID = 0xE8
	// IDLaceNumber is the LaceNumber element (\Segment\Cluster\BlockGroup\Slices\TimeSlice\LaceNumber, RFC 9559). libmatroska calls it SliceLaceNumber. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDLaceNumber ID = 0xCC
	// IDFrameNumber is the FrameNumber element (\Segment\Cluster\BlockGroup\Slices\TimeSlice\FrameNumber, RFC 9559). libmatroska calls it SliceFrameNumber. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDFrameNumber ID = 0xCD
	// IDBlockAdditionID is the BlockAdditionID element (\Segment\Cluster\BlockGroup\Slices\TimeSlice\BlockAdditionID, RFC 9559). libmatroska calls it SliceBlockAddID. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDBlockAdditionID ID = 0xCB
	// IDDelay is the Delay element (\Segment\Cluster\BlockGroup\Slices\TimeSlice\Delay, RFC 9559). libmatroska calls it SliceDelay. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDDelay ID = 0xCE
	// IDSliceDuration is the SliceDuration element (\Segment\Cluster\BlockGroup\Slices\TimeSlice\SliceDuration, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDSliceDuration ID = 0xCF
	// IDReferenceFrame is the ReferenceFrame element (\Segment\Cluster\BlockGroup\ReferenceFrame, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDReferenceFrame ID = 0xC8
	// IDReferenceOffset is the ReferenceOffset element (\Segment\Cluster\BlockGroup\ReferenceFrame\ReferenceOffset, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDReferenceOffset ID = 0xC9
	// IDReferenceTimestamp is the ReferenceTimestamp element (\Segment\Cluster\BlockGroup\ReferenceFrame\ReferenceTimestamp, RFC 9559). libmatroska calls it ReferenceTimeCode. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDReferenceTimestamp ID = 0xCA
	// IDEncryptedBlock is the EncryptedBlock element (\Segment\Cluster\EncryptedBlock, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDEncryptedBlock ID = 0xAF
	// IDTracks is the Tracks element (\Segment\Tracks, RFC 9559).
	IDTracks ID = 0x1654AE6B
	// IDTrackEntry is the TrackEntry element (\Segment\Tracks\TrackEntry, RFC 9559).
	IDTrackEntry ID = 0xAE
	// IDTrackNumber is the TrackNumber element (\Segment\Tracks\TrackEntry\TrackNumber, RFC 9559).
	IDTrackNumber ID = 0xD7
	// IDTrackUID is the TrackUID element (\Segment\Tracks\TrackEntry\TrackUID, RFC 9559).
	IDTrackUID ID = 0x73C5
	// IDTrackType is the TrackType element (\Segment\Tracks\TrackEntry\TrackType, RFC 9559).
	IDTrackType ID = 0x83
	// IDFlagEnabled is the FlagEnabled element (\Segment\Tracks\TrackEntry\FlagEnabled, RFC 9559). libmatroska calls it TrackFlagEnabled.
	IDFlagEnabled ID = 0xB9
	// IDFlagDefault is the FlagDefault element (\Segment\Tracks\TrackEntry\FlagDefault, RFC 9559). libmatroska calls it TrackFlagDefault.
	IDFlagDefault ID = 0x88
	// IDFlagForced is the FlagForced element (\Segment\Tracks\TrackEntry\FlagForced, RFC 9559). libmatroska calls it TrackFlagForced.
	IDFlagForced ID = 0x55AA
	// IDFlagHearingImpaired is the FlagHearingImpaired element (\Segment\Tracks\TrackEntry\FlagHearingImpaired, RFC 9559).
	IDFlagHearingImpaired ID = 0x55AB
	// IDFlagVisualImpaired is the FlagVisualImpaired element (\Segment\Tracks\TrackEntry\FlagVisualImpaired, RFC 9559).
	IDFlagVisualImpaired ID = 0x55AC
	// IDFlagTextDescriptions is the FlagTextDescriptions element (\Segment\Tracks\TrackEntry\FlagTextDescriptions, RFC 9559).
	IDFlagTextDescriptions ID = 0x55AD
	// IDFlagOriginal is the FlagOriginal element (\Segment\Tracks\TrackEntry\FlagOriginal, RFC 9559).
	IDFlagOriginal ID = 0x55AE
	// IDFlagCommentary is the FlagCommentary element (\Segment\Tracks\TrackEntry\FlagCommentary, RFC 9559).
	IDFlagCommentary ID = 0x55AF
	// IDFlagLacing is the FlagLacing element (\Segment\Tracks\TrackEntry\FlagLacing, RFC 9559). libmatroska calls it TrackFlagLacing.
	IDFlagLacing ID = 0x9C
	// IDMinCache is the MinCache element (\Segment\Tracks\TrackEntry\MinCache, RFC 9559). libmatroska calls it TrackMinCache. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDMinCache ID = 0x6DE7
	// IDMaxCache is the MaxCache element (\Segment\Tracks\TrackEntry\MaxCache, RFC 9559). libmatroska calls it TrackMaxCache. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDMaxCache ID = 0x6DF8
	// IDDefaultDuration is the DefaultDuration element (\Segment\Tracks\TrackEntry\DefaultDuration, RFC 9559). libmatroska calls it TrackDefaultDuration.
	IDDefaultDuration ID = 0x23E383
	// IDDefaultDecodedFieldDuration is the DefaultDecodedFieldDuration element (\Segment\Tracks\TrackEntry\DefaultDecodedFieldDuration, RFC 9559). libmatroska calls it TrackDefaultDecodedFieldDuration.
	IDDefaultDecodedFieldDuration ID = 0x234E7A
	// IDTrackTimestampScale is the TrackTimestampScale element (\Segment\Tracks\TrackEntry\TrackTimestampScale, RFC 9559). libmatroska calls it TrackTimecodeScale.
	IDTrackTimestampScale ID = 0x23314F
	// IDTrackOffset is the TrackOffset element (\Segment\Tracks\TrackEntry\TrackOffset, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDTrackOffset ID = 0x537F
	// IDMaxBlockAdditionID is the MaxBlockAdditionID element (\Segment\Tracks\TrackEntry\MaxBlockAdditionID, RFC 9559).
	IDMaxBlockAdditionID ID = 0x55EE
	// IDBlockAdditionMapping is the BlockAdditionMapping element (\Segment\Tracks\TrackEntry\BlockAdditionMapping, RFC 9559).
	IDBlockAdditionMapping ID = 0x41E4
	// IDBlockAddIDValue is the BlockAddIDValue element (\Segment\Tracks\TrackEntry\BlockAdditionMapping\BlockAddIDValue, RFC 9559).
	IDBlockAddIDValue ID = 0x41F0
	// IDBlockAddIDName is the BlockAddIDName element (\Segment\Tracks\TrackEntry\BlockAdditionMapping\BlockAddIDName, RFC 9559).
	IDBlockAddIDName ID = 0x41A4
	// IDBlockAddIDType is the BlockAddIDType element (\Segment\Tracks\TrackEntry\BlockAdditionMapping\BlockAddIDType, RFC 9559).
	IDBlockAddIDType ID = 0x41E7
	// IDBlockAddIDExtraData is the BlockAddIDExtraData element (\Segment\Tracks\TrackEntry\BlockAdditionMapping\BlockAddIDExtraData, RFC 9559).
	IDBlockAddIDExtraData ID = 0x41ED
	// IDName is the Name element (\Segment\Tracks\TrackEntry\Name, RFC 9559). libmatroska calls it TrackName.
	IDName ID = 0x536E
	// IDLanguage is the Language element (\Segment\Tracks\TrackEntry\Language, RFC 9559). libmatroska calls it TrackLanguage.
	IDLanguage ID = 0x22B59C
	// IDLanguageBCP47 is the LanguageBCP47 element (\Segment\Tracks\TrackEntry\LanguageBCP47, RFC 9559). libmatroska calls it LanguageIETF.
	IDLanguageBCP47 ID = 0x22B59D
	// IDCodecID is the CodecID element (\Segment\Tracks\TrackEntry\CodecID, RFC 9559).
	IDCodecID ID = 0x86
	// IDCodecPrivate is the CodecPrivate element (\Segment\Tracks\TrackEntry\CodecPrivate, RFC 9559).
	IDCodecPrivate ID = 0x63A2
	// IDCodecName is the CodecName element (\Segment\Tracks\TrackEntry\CodecName, RFC 9559).
	IDCodecName ID = 0x258688
	// IDAttachmentLink is the AttachmentLink element (\Segment\Tracks\TrackEntry\AttachmentLink, RFC 9559). libmatroska calls it TrackAttachmentLink.
	IDAttachmentLink ID = 0x7446
	// IDCodecSettings is the CodecSettings element (\Segment\Tracks\TrackEntry\CodecSettings, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDCodecSettings ID = 0x3A9697
	// IDCodecInfoURL is the CodecInfoURL element (\Segment\Tracks\TrackEntry\CodecInfoURL, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDCodecInfoURL ID = 0x3B4040
	// IDCodecDownloadURL is the CodecDownloadURL element (\Segment\Tracks\TrackEntry\CodecDownloadURL, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDCodecDownloadURL ID = 0x26B240
	// IDCodecDecodeAll is the CodecDecodeAll element (\Segment\Tracks\TrackEntry\CodecDecodeAll, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDCodecDecodeAll ID = 0xAA
	// IDTrackOverlay is the TrackOverlay element (\Segment\Tracks\TrackEntry\TrackOverlay, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDTrackOverlay ID = 0x6FAB
	// IDCodecDelay is the CodecDelay element (\Segment\Tracks\TrackEntry\CodecDelay, RFC 9559).
	IDCodecDelay ID = 0x56AA
	// IDSeekPreRoll is the SeekPreRoll element (\Segment\Tracks\TrackEntry\SeekPreRoll, RFC 9559).
	IDSeekPreRoll ID = 0x56BB
	// IDTrackTranslate is the TrackTranslate element (\Segment\Tracks\TrackEntry\TrackTranslate, RFC 9559).
	IDTrackTranslate ID = 0x6624
	// IDTrackTranslateTrackID is the TrackTranslateTrackID element (\Segment\Tracks\TrackEntry\TrackTranslate\TrackTranslateTrackID, RFC 9559).
	IDTrackTranslateTrackID ID = 0x66A5
	// IDTrackTranslateCodec is the TrackTranslateCodec element (\Segment\Tracks\TrackEntry\TrackTranslate\TrackTranslateCodec, RFC 9559).
	IDTrackTranslateCodec ID = 0x66BF
	// IDTrackTranslateEditionUID is the TrackTranslateEditionUID element (\Segment\Tracks\TrackEntry\TrackTranslate\TrackTranslateEditionUID, RFC 9559).
	IDTrackTranslateEditionUID ID = 0x66FC
	// IDVideo is the Video element (\Segment\Tracks\TrackEntry\Video, RFC 9559). libmatroska calls it TrackVideo.
	IDVideo ID = 0xE0
	// IDFlagInterlaced is the FlagInterlaced element (\Segment\Tracks\TrackEntry\Video\FlagInterlaced, RFC 9559). libmatroska calls it VideoFlagInterlaced.
	IDFlagInterlaced ID = 0x9A
	// IDFieldOrder is the FieldOrder element (\Segment\Tracks\TrackEntry\Video\FieldOrder, RFC 9559). libmatroska calls it VideoFieldOrder.
	IDFieldOrder ID = 0x9D
	// IDStereoMode is the StereoMode element (\Segment\Tracks\TrackEntry\Video\StereoMode, RFC 9559). libmatroska calls it VideoStereoMode.
	IDStereoMode ID = 0x53B8
	// IDAlphaMode is the AlphaMode element (\Segment\Tracks\TrackEntry\Video\AlphaMode, RFC 9559). libmatroska calls it VideoAlphaMode.
	IDAlphaMode ID = 0x53C0
	// IDOldStereoMode is the OldStereoMode element (\Segment\Tracks\TrackEntry\Video\OldStereoMode, RFC 9559).
	IDOldStereoMode ID = 0x53B9
	// IDPixelWidth is the PixelWidth element (\Segment\Tracks\TrackEntry\Video\PixelWidth, RFC 9559). libmatroska calls it VideoPixelWidth.
	IDPixelWidth ID = 0xB0
	// IDPixelHeight is the PixelHeight element (\Segment\Tracks\TrackEntry\Video\PixelHeight, RFC 9559). libmatroska calls it VideoPixelHeight.
	IDPixelHeight ID = 0xBA
	// IDPixelCropBottom is the PixelCropBottom element (\Segment\Tracks\TrackEntry\Video\PixelCropBottom, RFC 9559). libmatroska calls it VideoPixelCropBottom.
	IDPixelCropBottom ID = 0x54AA
	// IDPixelCropTop is the PixelCropTop element (\Segment\Tracks\TrackEntry\Video\PixelCropTop, RFC 9559). libmatroska calls it VideoPixelCropTop.
	IDPixelCropTop ID = 0x54BB
	// IDPixelCropLeft is the PixelCropLeft element (\Segment\Tracks\TrackEntry\Video\PixelCropLeft, RFC 9559). libmatroska calls it VideoPixelCropLeft.
	IDPixelCropLeft ID = 0x54CC
	// IDPixelCropRight is the PixelCropRight element (\Segment\Tracks\TrackEntry\Video\PixelCropRight, RFC 9559). libmatroska calls it VideoPixelCropRight.
	IDPixelCropRight ID = 0x54DD
	// IDDisplayWidth is the DisplayWidth element (\Segment\Tracks\TrackEntry\Video\DisplayWidth, RFC 9559). libmatroska calls it VideoDisplayWidth.
	IDDisplayWidth ID = 0x54B0
	// IDDisplayHeight is the DisplayHeight element (\Segment\Tracks\TrackEntry\Video\DisplayHeight, RFC 9559). libmatroska calls it VideoDisplayHeight.
	IDDisplayHeight ID = 0x54BA
	// IDDisplayUnit is the DisplayUnit element (\Segment\Tracks\TrackEntry\Video\DisplayUnit, RFC 9559). libmatroska calls it VideoDisplayUnit.
	IDDisplayUnit ID = 0x54B2
	// IDAspectRatioType is the AspectRatioType element (\Segment\Tracks\TrackEntry\Video\AspectRatioType, RFC 9559). libmatroska calls it VideoAspectRatio. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDAspectRatioType ID = 0x54B3
	// IDUncompressedFourCC is the UncompressedFourCC element (\Segment\Tracks\TrackEntry\Video\UncompressedFourCC, RFC 9559). libmatroska calls it VideoColourSpace.
	IDUncompressedFourCC ID = 0x2EB524
	// IDGammaValue is the GammaValue element (\Segment\Tracks\TrackEntry\Video\GammaValue, RFC 9559). libmatroska calls it VideoGamma. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDGammaValue ID = 0x2FB523
	// IDFrameRate is the FrameRate element (\Segment\Tracks\TrackEntry\Video\FrameRate, RFC 9559). libmatroska calls it VideoFrameRate. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDFrameRate ID = 0x2383E3
	// IDColour is the Colour element (\Segment\Tracks\TrackEntry\Video\Colour, RFC 9559). libmatroska calls it VideoColour.
	IDColour ID = 0x55B0
	// IDMatrixCoefficients is the MatrixCoefficients element (\Segment\Tracks\TrackEntry\Video\Colour\MatrixCoefficients, RFC 9559). libmatroska calls it VideoColourMatrix.
	IDMatrixCoefficients ID = 0x55B1
	// IDBitsPerChannel is the BitsPerChannel element (\Segment\Tracks\TrackEntry\Video\Colour\BitsPerChannel, RFC 9559). libmatroska calls it VideoBitsPerChannel.
	IDBitsPerChannel ID = 0x55B2
	// IDChromaSubsamplingHorz is the ChromaSubsamplingHorz element (\Segment\Tracks\TrackEntry\Video\Colour\ChromaSubsamplingHorz, RFC 9559). libmatroska calls it VideoChromaSubsampHorz.
	IDChromaSubsamplingHorz ID = 0x55B3
	// IDChromaSubsamplingVert is the ChromaSubsamplingVert element (\Segment\Tracks\TrackEntry\Video\Colour\ChromaSubsamplingVert, RFC 9559). libmatroska calls it VideoChromaSubsampVert.
	IDChromaSubsamplingVert ID = 0x55B4
	// IDCbSubsamplingHorz is the CbSubsamplingHorz element (\Segment\Tracks\TrackEntry\Video\Colour\CbSubsamplingHorz, RFC 9559). libmatroska calls it VideoCbSubsampHorz.
	IDCbSubsamplingHorz ID = 0x55B5
	// IDCbSubsamplingVert is the CbSubsamplingVert element (\Segment\Tracks\TrackEntry\Video\Colour\CbSubsamplingVert, RFC 9559). libmatroska calls it VideoCbSubsampVert.
	IDCbSubsamplingVert ID = 0x55B6
	// IDChromaSitingHorz is the ChromaSitingHorz element (\Segment\Tracks\TrackEntry\Video\Colour\ChromaSitingHorz, RFC 9559). libmatroska calls it VideoChromaSitHorz.
	IDChromaSitingHorz ID = 0x55B7
	// IDChromaSitingVert is the ChromaSitingVert element (\Segment\Tracks\TrackEntry\Video\Colour\ChromaSitingVert, RFC 9559). libmatroska calls it VideoChromaSitVert.
	IDChromaSitingVert ID = 0x55B8
	// IDRange is the Range element (\Segment\Tracks\TrackEntry\Video\Colour\Range, RFC 9559). libmatroska calls it VideoColourRange.
	IDRange ID = 0x55B9
	// IDTransferCharacteristics is the TransferCharacteristics element (\Segment\Tracks\TrackEntry\Video\Colour\TransferCharacteristics, RFC 9559). libmatroska calls it VideoColourTransferCharacter.
	IDTransferCharacteristics ID = 0x55BA
	// IDPrimaries is the Primaries element (\Segment\Tracks\TrackEntry\Video\Colour\Primaries, RFC 9559). libmatroska calls it VideoColourPrimaries.
	IDPrimaries ID = 0x55BB
	// IDMaxCLL is the MaxCLL element (\Segment\Tracks\TrackEntry\Video\Colour\MaxCLL, RFC 9559). libmatroska calls it VideoColourMaxCLL.
	IDMaxCLL ID = 0x55BC
	// IDMaxFALL is the MaxFALL element (\Segment\Tracks\TrackEntry\Video\Colour\MaxFALL, RFC 9559). libmatroska calls it VideoColourMaxFALL.
	IDMaxFALL ID = 0x55BD
	// IDMasteringMetadata is the MasteringMetadata element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata, RFC 9559). libmatroska calls it VideoColourMasterMeta.
	IDMasteringMetadata ID = 0x55D0
	// IDPrimaryRChromaticityX is the PrimaryRChromaticityX element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\PrimaryRChromaticityX, RFC 9559). libmatroska calls it VideoRChromaX.
	IDPrimaryRChromaticityX ID = 0x55D1
	// IDPrimaryRChromaticityY is the PrimaryRChromaticityY element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\PrimaryRChromaticityY, RFC 9559). libmatroska calls it VideoRChromaY.
	IDPrimaryRChromaticityY ID = 0x55D2
	// IDPrimaryGChromaticityX is the PrimaryGChromaticityX element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\PrimaryGChromaticityX, RFC 9559). libmatroska calls it VideoGChromaX.
	IDPrimaryGChromaticityX ID = 0x55D3
	// IDPrimaryGChromaticityY is the PrimaryGChromaticityY element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\PrimaryGChromaticityY, RFC 9559). libmatroska calls it VideoGChromaY.
	IDPrimaryGChromaticityY ID = 0x55D4
	// IDPrimaryBChromaticityX is the PrimaryBChromaticityX element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\PrimaryBChromaticityX, RFC 9559). libmatroska calls it VideoBChromaX.
	IDPrimaryBChromaticityX ID = 0x55D5
	// IDPrimaryBChromaticityY is the PrimaryBChromaticityY element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\PrimaryBChromaticityY, RFC 9559). libmatroska calls it VideoBChromaY.
	IDPrimaryBChromaticityY ID = 0x55D6
	// IDWhitePointChromaticityX is the WhitePointChromaticityX element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\WhitePointChromaticityX, RFC 9559). libmatroska calls it VideoWhitePointChromaX.
	IDWhitePointChromaticityX ID = 0x55D7
	// IDWhitePointChromaticityY is the WhitePointChromaticityY element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\WhitePointChromaticityY, RFC 9559). libmatroska calls it VideoWhitePointChromaY.
	IDWhitePointChromaticityY ID = 0x55D8
	// IDLuminanceMax is the LuminanceMax element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\LuminanceMax, RFC 9559). libmatroska calls it VideoLuminanceMax.
	IDLuminanceMax ID = 0x55D9
	// IDLuminanceMin is the LuminanceMin element (\Segment\Tracks\TrackEntry\Video\Colour\MasteringMetadata\LuminanceMin, RFC 9559). libmatroska calls it VideoLuminanceMin.
	IDLuminanceMin ID = 0x55DA
	// IDProjection is the Projection element (\Segment\Tracks\TrackEntry\Video\Projection, RFC 9559). libmatroska calls it VideoProjection.
	IDProjection ID = 0x7670
	// IDProjectionType is the ProjectionType element (\Segment\Tracks\TrackEntry\Video\Projection\ProjectionType, RFC 9559). libmatroska calls it VideoProjectionType.
	IDProjectionType ID = 0x7671
	// IDProjectionPrivate is the ProjectionPrivate element (\Segment\Tracks\TrackEntry\Video\Projection\ProjectionPrivate, RFC 9559). libmatroska calls it VideoProjectionPrivate.
	IDProjectionPrivate ID = 0x7672
	// IDProjectionPoseYaw is the ProjectionPoseYaw element (\Segment\Tracks\TrackEntry\Video\Projection\ProjectionPoseYaw, RFC 9559). libmatroska calls it VideoProjectionPoseYaw.
	IDProjectionPoseYaw ID = 0x7673
	// IDProjectionPosePitch is the ProjectionPosePitch element (\Segment\Tracks\TrackEntry\Video\Projection\ProjectionPosePitch, RFC 9559). libmatroska calls it VideoProjectionPosePitch.
	IDProjectionPosePitch ID = 0x7674
	// IDProjectionPoseRoll is the ProjectionPoseRoll element (\Segment\Tracks\TrackEntry\Video\Projection\ProjectionPoseRoll, RFC 9559). libmatroska calls it VideoProjectionPoseRoll.
	IDProjectionPoseRoll ID = 0x7675
	// IDAudio is the Audio element (\Segment\Tracks\TrackEntry\Audio, RFC 9559). libmatroska calls it TrackAudio.
	IDAudio ID = 0xE1
	// IDSamplingFrequency is the SamplingFrequency element (\Segment\Tracks\TrackEntry\Audio\SamplingFrequency, RFC 9559). libmatroska calls it AudioSamplingFreq.
	IDSamplingFrequency ID = 0xB5
	// IDOutputSamplingFrequency is the OutputSamplingFrequency element (\Segment\Tracks\TrackEntry\Audio\OutputSamplingFrequency, RFC 9559). libmatroska calls it AudioOutputSamplingFreq.
	IDOutputSamplingFrequency ID = 0x78B5
	// IDChannels is the Channels element (\Segment\Tracks\TrackEntry\Audio\Channels, RFC 9559). libmatroska calls it AudioChannels.
	IDChannels ID = 0x9F
	// IDChannelPositions is the ChannelPositions element (\Segment\Tracks\TrackEntry\Audio\ChannelPositions, RFC 9559). libmatroska calls it AudioPosition. Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDChannelPositions ID = 0x7D7B
	// IDBitDepth is the BitDepth element (\Segment\Tracks\TrackEntry\Audio\BitDepth, RFC 9559). libmatroska calls it AudioBitDepth.
	IDBitDepth ID = 0x6264
	// IDEmphasis is the Emphasis element (\Segment\Tracks\TrackEntry\Audio\Emphasis, RFC 9559).
	IDEmphasis ID = 0x52F1
	// IDTrackOperation is the TrackOperation element (\Segment\Tracks\TrackEntry\TrackOperation, RFC 9559).
	IDTrackOperation ID = 0xE2
	// IDTrackCombinePlanes is the TrackCombinePlanes element (\Segment\Tracks\TrackEntry\TrackOperation\TrackCombinePlanes, RFC 9559).
	IDTrackCombinePlanes ID = 0xE3
	// IDTrackPlane is the TrackPlane element (\Segment\Tracks\TrackEntry\TrackOperation\TrackCombinePlanes\TrackPlane, RFC 9559).
	IDTrackPlane ID = 0xE4
	// IDTrackPlaneUID is the TrackPlaneUID element (\Segment\Tracks\TrackEntry\TrackOperation\TrackCombinePlanes\TrackPlane\TrackPlaneUID, RFC 9559).
	IDTrackPlaneUID ID = 0xE5
	// IDTrackPlaneType is the TrackPlaneType element (\Segment\Tracks\TrackEntry\TrackOperation\TrackCombinePlanes\TrackPlane\TrackPlaneType, RFC 9559).
	IDTrackPlaneType ID = 0xE6
	// IDTrackJoinBlocks is the TrackJoinBlocks element (\Segment\Tracks\TrackEntry\TrackOperation\TrackJoinBlocks, RFC 9559).
	IDTrackJoinBlocks ID = 0xE9
	// IDTrackJoinUID is the TrackJoinUID element (\Segment\Tracks\TrackEntry\TrackOperation\TrackJoinBlocks\TrackJoinUID, RFC 9559).
	IDTrackJoinUID ID = 0xED
	// IDTrickTrackUID is the TrickTrackUID element (\Segment\Tracks\TrackEntry\TrickTrackUID, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDTrickTrackUID ID = 0xC0
	// IDTrickTrackSegmentUID is the TrickTrackSegmentUID element (\Segment\Tracks\TrackEntry\TrickTrackSegmentUID, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDTrickTrackSegmentUID ID = 0xC1
	// IDTrickTrackFlag is the TrickTrackFlag element (\Segment\Tracks\TrackEntry\TrickTrackFlag, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDTrickTrackFlag ID = 0xC6
	// IDTrickMasterTrackUID is the TrickMasterTrackUID element (\Segment\Tracks\TrackEntry\TrickMasterTrackUID, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDTrickMasterTrackUID ID = 0xC7
	// IDTrickMasterTrackSegmentUID is the TrickMasterTrackSegmentUID element (\Segment\Tracks\TrackEntry\TrickMasterTrackSegmentUID, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDTrickMasterTrackSegmentUID ID = 0xC4
	// IDContentEncodings is the ContentEncodings element (\Segment\Tracks\TrackEntry\ContentEncodings, RFC 9559).
	IDContentEncodings ID = 0x6D80
	// IDContentEncoding is the ContentEncoding element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding, RFC 9559).
	IDContentEncoding ID = 0x6240
	// IDContentEncodingOrder is the ContentEncodingOrder element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncodingOrder, RFC 9559).
	IDContentEncodingOrder ID = 0x5031
	// IDContentEncodingScope is the ContentEncodingScope element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncodingScope, RFC 9559).
	IDContentEncodingScope ID = 0x5032
	// IDContentEncodingType is the ContentEncodingType element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncodingType, RFC 9559).
	IDContentEncodingType ID = 0x5033
	// IDContentCompression is the ContentCompression element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentCompression, RFC 9559).
	IDContentCompression ID = 0x5034
	// IDContentCompAlgo is the ContentCompAlgo element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentCompression\ContentCompAlgo, RFC 9559).
	IDContentCompAlgo ID = 0x4254
	// IDContentCompSettings is the ContentCompSettings element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentCompression\ContentCompSettings, RFC 9559).
	IDContentCompSettings ID = 0x4255
	// IDContentEncryption is the ContentEncryption element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncryption, RFC 9559).
	IDContentEncryption ID = 0x5035
	// IDContentEncAlgo is the ContentEncAlgo element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncryption\ContentEncAlgo, RFC 9559).
	IDContentEncAlgo ID = 0x47E1
	// IDContentEncKeyID is the ContentEncKeyID element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncryption\ContentEncKeyID, RFC 9559).
	IDContentEncKeyID ID = 0x47E2
	// IDContentEncAESSettings is the ContentEncAESSettings element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncryption\ContentEncAESSettings, RFC 9559).
	IDContentEncAESSettings ID = 0x47E7
	// IDAESSettingsCipherMode is the AESSettingsCipherMode element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncryption\ContentEncAESSettings\AESSettingsCipherMode, RFC 9559).
	IDAESSettingsCipherMode ID = 0x47E8
	// IDContentSignature is the ContentSignature element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncryption\ContentSignature, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDContentSignature ID = 0x47E3
	// IDContentSigKeyID is the ContentSigKeyID element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncryption\ContentSigKeyID, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDContentSigKeyID ID = 0x47E4
	// IDContentSigAlgo is the ContentSigAlgo element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncryption\ContentSigAlgo, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDContentSigAlgo ID = 0x47E5
	// IDContentSigHashAlgo is the ContentSigHashAlgo element (\Segment\Tracks\TrackEntry\ContentEncodings\ContentEncoding\ContentEncryption\ContentSigHashAlgo, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDContentSigHashAlgo ID = 0x47E6
	// IDCues is the Cues element (\Segment\Cues, RFC 9559).
	IDCues ID = 0x1C53BB6B
	// IDCuePoint is the CuePoint element (\Segment\Cues\CuePoint, RFC 9559).
	IDCuePoint ID = 0xBB
	// IDCueTime is the CueTime element (\Segment\Cues\CuePoint\CueTime, RFC 9559).
	IDCueTime ID = 0xB3
	// IDCueTrackPositions is the CueTrackPositions element (\Segment\Cues\CuePoint\CueTrackPositions, RFC 9559).
	IDCueTrackPositions ID = 0xB7
	// IDCueTrack is the CueTrack element (\Segment\Cues\CuePoint\CueTrackPositions\CueTrack, RFC 9559).
	IDCueTrack ID = 0xF7
	// IDCueClusterPosition is the CueClusterPosition element (\Segment\Cues\CuePoint\CueTrackPositions\CueClusterPosition, RFC 9559).
	IDCueClusterPosition ID = 0xF1
	// IDCueRelativePosition is the CueRelativePosition element (\Segment\Cues\CuePoint\CueTrackPositions\CueRelativePosition, RFC 9559).
	IDCueRelativePosition ID = 0xF0
	// IDCueDuration is the CueDuration element (\Segment\Cues\CuePoint\CueTrackPositions\CueDuration, RFC 9559).
	IDCueDuration ID = 0xB2
	// IDCueBlockNumber is the CueBlockNumber element (\Segment\Cues\CuePoint\CueTrackPositions\CueBlockNumber, RFC 9559).
	IDCueBlockNumber ID = 0x5378
	// IDCueCodecState is the CueCodecState element (\Segment\Cues\CuePoint\CueTrackPositions\CueCodecState, RFC 9559).
	IDCueCodecState ID = 0xEA
	// IDCueReference is the CueReference element (\Segment\Cues\CuePoint\CueTrackPositions\CueReference, RFC 9559).
	IDCueReference ID = 0xDB
	// IDCueRefTime is the CueRefTime element (\Segment\Cues\CuePoint\CueTrackPositions\CueReference\CueRefTime, RFC 9559).
	IDCueRefTime ID = 0x96
	// IDCueRefCluster is the CueRefCluster element (\Segment\Cues\CuePoint\CueTrackPositions\CueReference\CueRefCluster, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDCueRefCluster ID = 0x97
	// IDCueRefNumber is the CueRefNumber element (\Segment\Cues\CuePoint\CueTrackPositions\CueReference\CueRefNumber, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDCueRefNumber ID = 0x535F
	// IDCueRefCodecState is the CueRefCodecState element (\Segment\Cues\CuePoint\CueTrackPositions\CueReference\CueRefCodecState, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDCueRefCodecState ID = 0xEB
	// IDAttachments is the Attachments element (\Segment\Attachments, RFC 9559).
	IDAttachments ID = 0x1941A469
	// IDAttachedFile is the AttachedFile element (\Segment\Attachments\AttachedFile, RFC 9559). libmatroska calls it Attached.
	IDAttachedFile ID = 0x61A7
	// IDFileDescription is the FileDescription element (\Segment\Attachments\AttachedFile\FileDescription, RFC 9559).
	IDFileDescription ID = 0x467E
	// IDFileName is the FileName element (\Segment\Attachments\AttachedFile\FileName, RFC 9559).
	IDFileName ID = 0x466E
	// IDFileMediaType is the FileMediaType element (\Segment\Attachments\AttachedFile\FileMediaType, RFC 9559). libmatroska calls it MimeType.
	IDFileMediaType ID = 0x4660
	// IDFileData is the FileData element (\Segment\Attachments\AttachedFile\FileData, RFC 9559).
	IDFileData ID = 0x465C
	// IDFileUID is the FileUID element (\Segment\Attachments\AttachedFile\FileUID, RFC 9559).
	IDFileUID ID = 0x46AE
	// IDFileReferral is the FileReferral element (\Segment\Attachments\AttachedFile\FileReferral, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDFileReferral ID = 0x4675
	// IDFileUsedStartTime is the FileUsedStartTime element (\Segment\Attachments\AttachedFile\FileUsedStartTime, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDFileUsedStartTime ID = 0x4661
	// IDFileUsedEndTime is the FileUsedEndTime element (\Segment\Attachments\AttachedFile\FileUsedEndTime, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDFileUsedEndTime ID = 0x4662
	// IDChapters is the Chapters element (\Segment\Chapters, RFC 9559).
	IDChapters ID = 0x1043A770
	// IDEditionEntry is the EditionEntry element (\Segment\Chapters\EditionEntry, RFC 9559).
	IDEditionEntry ID = 0x45B9
	// IDEditionUID is the EditionUID element (\Segment\Chapters\EditionEntry\EditionUID, RFC 9559).
	IDEditionUID ID = 0x45BC
	// IDEditionFlagHidden is the EditionFlagHidden element (\Segment\Chapters\EditionEntry\EditionFlagHidden, RFC 9559).
	IDEditionFlagHidden ID = 0x45BD
	// IDEditionFlagDefault is the EditionFlagDefault element (\Segment\Chapters\EditionEntry\EditionFlagDefault, RFC 9559).
	IDEditionFlagDefault ID = 0x45DB
	// IDEditionFlagOrdered is the EditionFlagOrdered element (\Segment\Chapters\EditionEntry\EditionFlagOrdered, RFC 9559).
	IDEditionFlagOrdered ID = 0x45DD
	// IDEditionDisplay is the EditionDisplay element (\Segment\Chapters\EditionEntry\EditionDisplay, RFC 9559).
	IDEditionDisplay ID = 0x4520
	// IDEditionString is the EditionString element (\Segment\Chapters\EditionEntry\EditionDisplay\EditionString, RFC 9559).
	IDEditionString ID = 0x4521
	// IDEditionLanguageIETF is the EditionLanguageIETF element (\Segment\Chapters\EditionEntry\EditionDisplay\EditionLanguageIETF, RFC 9559).
	IDEditionLanguageIETF ID = 0x45E4
	// IDChapterAtom is the ChapterAtom element (\Segment\Chapters\EditionEntry\ChapterAtom, RFC 9559).
	IDChapterAtom ID = 0xB6
	// IDChapterUID is the ChapterUID element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterUID, RFC 9559).
	IDChapterUID ID = 0x73C4
	// IDChapterStringUID is the ChapterStringUID element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterStringUID, RFC 9559).
	IDChapterStringUID ID = 0x5654
	// IDChapterTimeStart is the ChapterTimeStart element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterTimeStart, RFC 9559).
	IDChapterTimeStart ID = 0x91
	// IDChapterTimeEnd is the ChapterTimeEnd element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterTimeEnd, RFC 9559).
	IDChapterTimeEnd ID = 0x92
	// IDChapterFlagHidden is the ChapterFlagHidden element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterFlagHidden, RFC 9559).
	IDChapterFlagHidden ID = 0x98
	// IDChapterFlagEnabled is the ChapterFlagEnabled element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterFlagEnabled, RFC 9559).
	IDChapterFlagEnabled ID = 0x4598
	// IDChapterSegmentUUID is the ChapterSegmentUUID element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterSegmentUUID, RFC 9559). libmatroska calls it ChapterSegmentUID.
	IDChapterSegmentUUID ID = 0x6E67
	// IDChapterSkipType is the ChapterSkipType element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterSkipType, RFC 9559).
	IDChapterSkipType ID = 0x4588
	// IDChapterSegmentEditionUID is the ChapterSegmentEditionUID element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterSegmentEditionUID, RFC 9559).
	IDChapterSegmentEditionUID ID = 0x6EBC
	// IDChapterPhysicalEquiv is the ChapterPhysicalEquiv element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterPhysicalEquiv, RFC 9559).
	IDChapterPhysicalEquiv ID = 0x63C3
	// IDChapterTrack is the ChapterTrack element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterTrack, RFC 9559).
	IDChapterTrack ID = 0x8F
	// IDChapterTrackUID is the ChapterTrackUID element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterTrack\ChapterTrackUID, RFC 9559). libmatroska calls it ChapterTrackNumber.
	IDChapterTrackUID ID = 0x89
	// IDChapterDisplay is the ChapterDisplay element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterDisplay, RFC 9559).
	IDChapterDisplay ID = 0x80
	// IDChapString is the ChapString element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterDisplay\ChapString, RFC 9559). libmatroska calls it ChapterString.
	IDChapString ID = 0x85
	// IDChapLanguage is the ChapLanguage element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterDisplay\ChapLanguage, RFC 9559). libmatroska calls it ChapterLanguage.
	IDChapLanguage ID = 0x437C
	// IDChapLanguageBCP47 is the ChapLanguageBCP47 element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterDisplay\ChapLanguageBCP47, RFC 9559). libmatroska calls it ChapLanguageIETF.
	IDChapLanguageBCP47 ID = 0x437D
	// IDChapCountry is the ChapCountry element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapterDisplay\ChapCountry, RFC 9559). libmatroska calls it ChapterCountry.
	IDChapCountry ID = 0x437E
	// IDChapProcess is the ChapProcess element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapProcess, RFC 9559). libmatroska calls it ChapterProcess.
	IDChapProcess ID = 0x6944
	// IDChapProcessCodecID is the ChapProcessCodecID element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapProcess\ChapProcessCodecID, RFC 9559). libmatroska calls it ChapterProcessCodecID.
	IDChapProcessCodecID ID = 0x6955
	// IDChapProcessPrivate is the ChapProcessPrivate element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapProcess\ChapProcessPrivate, RFC 9559). libmatroska calls it ChapterProcessPrivate.
	IDChapProcessPrivate ID = 0x450D
	// IDChapProcessCommand is the ChapProcessCommand element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapProcess\ChapProcessCommand, RFC 9559). libmatroska calls it ChapterProcessCommand.
	IDChapProcessCommand ID = 0x6911
	// IDChapProcessTime is the ChapProcessTime element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapProcess\ChapProcessCommand\ChapProcessTime, RFC 9559). libmatroska calls it ChapterProcessTime.
	IDChapProcessTime ID = 0x6922
	// IDChapProcessData is the ChapProcessData element (\Segment\Chapters\EditionEntry\ChapterAtom\ChapProcess\ChapProcessCommand\ChapProcessData, RFC 9559). libmatroska calls it ChapterProcessData.
	IDChapProcessData ID = 0x6933
	// IDTags is the Tags element (\Segment\Tags, RFC 9559).
	IDTags ID = 0x1254C367
	// IDTag is the Tag element (\Segment\Tags\Tag, RFC 9559).
	IDTag ID = 0x7373
	// IDTargets is the Targets element (\Segment\Tags\Tag\Targets, RFC 9559). libmatroska calls it TagTargets.
	IDTargets ID = 0x63C0
	// IDTargetTypeValue is the TargetTypeValue element (\Segment\Tags\Tag\Targets\TargetTypeValue, RFC 9559). libmatroska calls it TagTargetTypeValue.
	IDTargetTypeValue ID = 0x68CA
	// IDTargetType is the TargetType element (\Segment\Tags\Tag\Targets\TargetType, RFC 9559). libmatroska calls it TagTargetType.
	IDTargetType ID = 0x63CA
	// IDTagTrackUID is the TagTrackUID element (\Segment\Tags\Tag\Targets\TagTrackUID, RFC 9559).
	IDTagTrackUID ID = 0x63C5
	// IDTagEditionUID is the TagEditionUID element (\Segment\Tags\Tag\Targets\TagEditionUID, RFC 9559).
	IDTagEditionUID ID = 0x63C9
	// IDTagChapterUID is the TagChapterUID element (\Segment\Tags\Tag\Targets\TagChapterUID, RFC 9559).
	IDTagChapterUID ID = 0x63C4
	// IDTagAttachmentUID is the TagAttachmentUID element (\Segment\Tags\Tag\Targets\TagAttachmentUID, RFC 9559).
	IDTagAttachmentUID ID = 0x63C6
	// IDTagBlockAddIDValue is the TagBlockAddIDValue element (\Segment\Tags\Tag\Targets\TagBlockAddIDValue, RFC 9559).
	IDTagBlockAddIDValue ID = 0x63C7
	// IDSimpleTag is the SimpleTag element (\Segment\Tags\Tag\SimpleTag, RFC 9559). libmatroska calls it TagSimple.
	IDSimpleTag ID = 0x67C8
	// IDTagName is the TagName element (\Segment\Tags\Tag\SimpleTag\TagName, RFC 9559).
	IDTagName ID = 0x45A3
	// IDTagLanguage is the TagLanguage element (\Segment\Tags\Tag\SimpleTag\TagLanguage, RFC 9559). libmatroska calls it TagLangue.
	IDTagLanguage ID = 0x447A
	// IDTagLanguageBCP47 is the TagLanguageBCP47 element (\Segment\Tags\Tag\SimpleTag\TagLanguageBCP47, RFC 9559). libmatroska calls it TagLanguageIETF.
	IDTagLanguageBCP47 ID = 0x447B
	// IDTagDefault is the TagDefault element (\Segment\Tags\Tag\SimpleTag\TagDefault, RFC 9559).
	IDTagDefault ID = 0x4484
	// IDTagDefaultBogus is the TagDefaultBogus element (\Segment\Tags\Tag\SimpleTag\TagDefaultBogus, RFC 9559). Matroska v4 no longer writes it (maxver 0), but older muxers do.
	IDTagDefaultBogus ID = 0x44B4
	// IDTagString is the TagString element (\Segment\Tags\Tag\SimpleTag\TagString, RFC 9559).
	IDTagString ID = 0x4487
	// IDTagBinary is the TagBinary element (\Segment\Tags\Tag\SimpleTag\TagBinary, RFC 9559).
	IDTagBinary ID = 0x4485
)

// schema maps every known element ID to its name, type and parent. The reader
// uses the parent chain to find where an unknown-size element ends (RFC 8794
// section 6.2).
var schema = map[ID]elementInfo{
	IDEBML:                        {name: "EBML", typ: TypeMaster, parent: 0, flags: 0},
	IDEBMLVersion:                 {name: "EBMLVersion", typ: TypeUinteger, parent: IDEBML, flags: 0},
	IDEBMLReadVersion:             {name: "EBMLReadVersion", typ: TypeUinteger, parent: IDEBML, flags: 0},
	IDEBMLMaxIDLength:             {name: "EBMLMaxIDLength", typ: TypeUinteger, parent: IDEBML, flags: 0},
	IDEBMLMaxSizeLength:           {name: "EBMLMaxSizeLength", typ: TypeUinteger, parent: IDEBML, flags: 0},
	IDDocType:                     {name: "DocType", typ: TypeString, parent: IDEBML, flags: 0},
	IDDocTypeVersion:              {name: "DocTypeVersion", typ: TypeUinteger, parent: IDEBML, flags: 0},
	IDDocTypeReadVersion:          {name: "DocTypeReadVersion", typ: TypeUinteger, parent: IDEBML, flags: 0},
	IDDocTypeExtension:            {name: "DocTypeExtension", typ: TypeMaster, parent: IDEBML, flags: 0},
	IDDocTypeExtensionName:        {name: "DocTypeExtensionName", typ: TypeString, parent: IDDocTypeExtension, flags: 0},
	IDDocTypeExtensionVersion:     {name: "DocTypeExtensionVersion", typ: TypeUinteger, parent: IDDocTypeExtension, flags: 0},
	IDCRC32:                       {name: "CRC-32", typ: TypeBinary, parent: 0, flags: flagGlobal},
	IDVoid:                        {name: "Void", typ: TypeBinary, parent: 0, flags: flagGlobal},
	IDSegment:                     {name: "Segment", typ: TypeMaster, parent: 0, flags: flagUnknownSizeAllowed},
	IDSeekHead:                    {name: "SeekHead", typ: TypeMaster, parent: IDSegment, flags: 0},
	IDSeek:                        {name: "Seek", typ: TypeMaster, parent: IDSeekHead, flags: 0},
	IDSeekID:                      {name: "SeekID", typ: TypeBinary, parent: IDSeek, flags: 0},
	IDSeekPosition:                {name: "SeekPosition", typ: TypeUinteger, parent: IDSeek, flags: 0},
	IDInfo:                        {name: "Info", typ: TypeMaster, parent: IDSegment, flags: 0},
	IDSegmentUUID:                 {name: "SegmentUUID", typ: TypeBinary, parent: IDInfo, flags: 0},
	IDSegmentFilename:             {name: "SegmentFilename", typ: TypeUTF8, parent: IDInfo, flags: 0},
	IDPrevUUID:                    {name: "PrevUUID", typ: TypeBinary, parent: IDInfo, flags: 0},
	IDPrevFilename:                {name: "PrevFilename", typ: TypeUTF8, parent: IDInfo, flags: 0},
	IDNextUUID:                    {name: "NextUUID", typ: TypeBinary, parent: IDInfo, flags: 0},
	IDNextFilename:                {name: "NextFilename", typ: TypeUTF8, parent: IDInfo, flags: 0},
	IDSegmentFamily:               {name: "SegmentFamily", typ: TypeBinary, parent: IDInfo, flags: 0},
	IDChapterTranslate:            {name: "ChapterTranslate", typ: TypeMaster, parent: IDInfo, flags: 0},
	IDChapterTranslateID:          {name: "ChapterTranslateID", typ: TypeBinary, parent: IDChapterTranslate, flags: 0},
	IDChapterTranslateCodec:       {name: "ChapterTranslateCodec", typ: TypeUinteger, parent: IDChapterTranslate, flags: 0},
	IDChapterTranslateEditionUID:  {name: "ChapterTranslateEditionUID", typ: TypeUinteger, parent: IDChapterTranslate, flags: 0},
	IDTimestampScale:              {name: "TimestampScale", typ: TypeUinteger, parent: IDInfo, flags: 0},
	IDDuration:                    {name: "Duration", typ: TypeFloat, parent: IDInfo, flags: 0},
	IDDateUTC:                     {name: "DateUTC", typ: TypeDate, parent: IDInfo, flags: 0},
	IDTitle:                       {name: "Title", typ: TypeUTF8, parent: IDInfo, flags: 0},
	IDMuxingApp:                   {name: "MuxingApp", typ: TypeUTF8, parent: IDInfo, flags: 0},
	IDWritingApp:                  {name: "WritingApp", typ: TypeUTF8, parent: IDInfo, flags: 0},
	IDCluster:                     {name: "Cluster", typ: TypeMaster, parent: IDSegment, flags: flagUnknownSizeAllowed},
	IDTimestamp:                   {name: "Timestamp", typ: TypeUinteger, parent: IDCluster, flags: 0},
	IDSilentTracks:                {name: "SilentTracks", typ: TypeMaster, parent: IDCluster, flags: 0},
	IDSilentTrackNumber:           {name: "SilentTrackNumber", typ: TypeUinteger, parent: IDSilentTracks, flags: 0},
	IDPosition:                    {name: "Position", typ: TypeUinteger, parent: IDCluster, flags: 0},
	IDPrevSize:                    {name: "PrevSize", typ: TypeUinteger, parent: IDCluster, flags: 0},
	IDSimpleBlock:                 {name: "SimpleBlock", typ: TypeBinary, parent: IDCluster, flags: 0},
	IDBlockGroup:                  {name: "BlockGroup", typ: TypeMaster, parent: IDCluster, flags: 0},
	IDBlock:                       {name: "Block", typ: TypeBinary, parent: IDBlockGroup, flags: 0},
	IDBlockVirtual:                {name: "BlockVirtual", typ: TypeBinary, parent: IDBlockGroup, flags: 0},
	IDBlockAdditions:              {name: "BlockAdditions", typ: TypeMaster, parent: IDBlockGroup, flags: 0},
	IDBlockMore:                   {name: "BlockMore", typ: TypeMaster, parent: IDBlockAdditions, flags: 0},
	IDBlockAdditional:             {name: "BlockAdditional", typ: TypeBinary, parent: IDBlockMore, flags: 0},
	IDBlockAddID:                  {name: "BlockAddID", typ: TypeUinteger, parent: IDBlockMore, flags: 0},
	IDBlockDuration:               {name: "BlockDuration", typ: TypeUinteger, parent: IDBlockGroup, flags: 0},
	IDReferencePriority:           {name: "ReferencePriority", typ: TypeUinteger, parent: IDBlockGroup, flags: 0},
	IDReferenceBlock:              {name: "ReferenceBlock", typ: TypeInteger, parent: IDBlockGroup, flags: 0},
	IDReferenceVirtual:            {name: "ReferenceVirtual", typ: TypeInteger, parent: IDBlockGroup, flags: 0},
	IDCodecState:                  {name: "CodecState", typ: TypeBinary, parent: IDBlockGroup, flags: 0},
	IDDiscardPadding:              {name: "DiscardPadding", typ: TypeInteger, parent: IDBlockGroup, flags: 0},
	IDSlices:                      {name: "Slices", typ: TypeMaster, parent: IDBlockGroup, flags: 0},
	IDTimeSlice:                   {name: "TimeSlice", typ: TypeMaster, parent: IDSlices, flags: 0},
	IDLaceNumber:                  {name: "LaceNumber", typ: TypeUinteger, parent: IDTimeSlice, flags: 0},
	IDFrameNumber:                 {name: "FrameNumber", typ: TypeUinteger, parent: IDTimeSlice, flags: 0},
	IDBlockAdditionID:             {name: "BlockAdditionID", typ: TypeUinteger, parent: IDTimeSlice, flags: 0},
	IDDelay:                       {name: "Delay", typ: TypeUinteger, parent: IDTimeSlice, flags: 0},
	IDSliceDuration:               {name: "SliceDuration", typ: TypeUinteger, parent: IDTimeSlice, flags: 0},
	IDReferenceFrame:              {name: "ReferenceFrame", typ: TypeMaster, parent: IDBlockGroup, flags: 0},
	IDReferenceOffset:             {name: "ReferenceOffset", typ: TypeUinteger, parent: IDReferenceFrame, flags: 0},
	IDReferenceTimestamp:          {name: "ReferenceTimestamp", typ: TypeUinteger, parent: IDReferenceFrame, flags: 0},
	IDEncryptedBlock:              {name: "EncryptedBlock", typ: TypeBinary, parent: IDCluster, flags: 0},
	IDTracks:                      {name: "Tracks", typ: TypeMaster, parent: IDSegment, flags: 0},
	IDTrackEntry:                  {name: "TrackEntry", typ: TypeMaster, parent: IDTracks, flags: 0},
	IDTrackNumber:                 {name: "TrackNumber", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDTrackUID:                    {name: "TrackUID", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDTrackType:                   {name: "TrackType", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDFlagEnabled:                 {name: "FlagEnabled", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDFlagDefault:                 {name: "FlagDefault", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDFlagForced:                  {name: "FlagForced", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDFlagHearingImpaired:         {name: "FlagHearingImpaired", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDFlagVisualImpaired:          {name: "FlagVisualImpaired", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDFlagTextDescriptions:        {name: "FlagTextDescriptions", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDFlagOriginal:                {name: "FlagOriginal", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDFlagCommentary:              {name: "FlagCommentary", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDFlagLacing:                  {name: "FlagLacing", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDMinCache:                    {name: "MinCache", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDMaxCache:                    {name: "MaxCache", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDDefaultDuration:             {name: "DefaultDuration", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDDefaultDecodedFieldDuration: {name: "DefaultDecodedFieldDuration", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDTrackTimestampScale:         {name: "TrackTimestampScale", typ: TypeFloat, parent: IDTrackEntry, flags: 0},
	IDTrackOffset:                 {name: "TrackOffset", typ: TypeInteger, parent: IDTrackEntry, flags: 0},
	IDMaxBlockAdditionID:          {name: "MaxBlockAdditionID", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDBlockAdditionMapping:        {name: "BlockAdditionMapping", typ: TypeMaster, parent: IDTrackEntry, flags: 0},
	IDBlockAddIDValue:             {name: "BlockAddIDValue", typ: TypeUinteger, parent: IDBlockAdditionMapping, flags: 0},
	IDBlockAddIDName:              {name: "BlockAddIDName", typ: TypeString, parent: IDBlockAdditionMapping, flags: 0},
	IDBlockAddIDType:              {name: "BlockAddIDType", typ: TypeUinteger, parent: IDBlockAdditionMapping, flags: 0},
	IDBlockAddIDExtraData:         {name: "BlockAddIDExtraData", typ: TypeBinary, parent: IDBlockAdditionMapping, flags: 0},
	IDName:                        {name: "Name", typ: TypeUTF8, parent: IDTrackEntry, flags: 0},
	IDLanguage:                    {name: "Language", typ: TypeString, parent: IDTrackEntry, flags: 0},
	IDLanguageBCP47:               {name: "LanguageBCP47", typ: TypeString, parent: IDTrackEntry, flags: 0},
	IDCodecID:                     {name: "CodecID", typ: TypeString, parent: IDTrackEntry, flags: 0},
	IDCodecPrivate:                {name: "CodecPrivate", typ: TypeBinary, parent: IDTrackEntry, flags: 0},
	IDCodecName:                   {name: "CodecName", typ: TypeUTF8, parent: IDTrackEntry, flags: 0},
	IDAttachmentLink:              {name: "AttachmentLink", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDCodecSettings:               {name: "CodecSettings", typ: TypeUTF8, parent: IDTrackEntry, flags: 0},
	IDCodecInfoURL:                {name: "CodecInfoURL", typ: TypeString, parent: IDTrackEntry, flags: 0},
	IDCodecDownloadURL:            {name: "CodecDownloadURL", typ: TypeString, parent: IDTrackEntry, flags: 0},
	IDCodecDecodeAll:              {name: "CodecDecodeAll", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDTrackOverlay:                {name: "TrackOverlay", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDCodecDelay:                  {name: "CodecDelay", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDSeekPreRoll:                 {name: "SeekPreRoll", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDTrackTranslate:              {name: "TrackTranslate", typ: TypeMaster, parent: IDTrackEntry, flags: 0},
	IDTrackTranslateTrackID:       {name: "TrackTranslateTrackID", typ: TypeBinary, parent: IDTrackTranslate, flags: 0},
	IDTrackTranslateCodec:         {name: "TrackTranslateCodec", typ: TypeUinteger, parent: IDTrackTranslate, flags: 0},
	IDTrackTranslateEditionUID:    {name: "TrackTranslateEditionUID", typ: TypeUinteger, parent: IDTrackTranslate, flags: 0},
	IDVideo:                       {name: "Video", typ: TypeMaster, parent: IDTrackEntry, flags: 0},
	IDFlagInterlaced:              {name: "FlagInterlaced", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDFieldOrder:                  {name: "FieldOrder", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDStereoMode:                  {name: "StereoMode", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDAlphaMode:                   {name: "AlphaMode", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDOldStereoMode:               {name: "OldStereoMode", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDPixelWidth:                  {name: "PixelWidth", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDPixelHeight:                 {name: "PixelHeight", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDPixelCropBottom:             {name: "PixelCropBottom", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDPixelCropTop:                {name: "PixelCropTop", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDPixelCropLeft:               {name: "PixelCropLeft", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDPixelCropRight:              {name: "PixelCropRight", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDDisplayWidth:                {name: "DisplayWidth", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDDisplayHeight:               {name: "DisplayHeight", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDDisplayUnit:                 {name: "DisplayUnit", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDAspectRatioType:             {name: "AspectRatioType", typ: TypeUinteger, parent: IDVideo, flags: 0},
	IDUncompressedFourCC:          {name: "UncompressedFourCC", typ: TypeBinary, parent: IDVideo, flags: 0},
	IDGammaValue:                  {name: "GammaValue", typ: TypeFloat, parent: IDVideo, flags: 0},
	IDFrameRate:                   {name: "FrameRate", typ: TypeFloat, parent: IDVideo, flags: 0},
	IDColour:                      {name: "Colour", typ: TypeMaster, parent: IDVideo, flags: 0},
	IDMatrixCoefficients:          {name: "MatrixCoefficients", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDBitsPerChannel:              {name: "BitsPerChannel", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDChromaSubsamplingHorz:       {name: "ChromaSubsamplingHorz", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDChromaSubsamplingVert:       {name: "ChromaSubsamplingVert", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDCbSubsamplingHorz:           {name: "CbSubsamplingHorz", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDCbSubsamplingVert:           {name: "CbSubsamplingVert", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDChromaSitingHorz:            {name: "ChromaSitingHorz", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDChromaSitingVert:            {name: "ChromaSitingVert", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDRange:                       {name: "Range", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDTransferCharacteristics:     {name: "TransferCharacteristics", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDPrimaries:                   {name: "Primaries", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDMaxCLL:                      {name: "MaxCLL", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDMaxFALL:                     {name: "MaxFALL", typ: TypeUinteger, parent: IDColour, flags: 0},
	IDMasteringMetadata:           {name: "MasteringMetadata", typ: TypeMaster, parent: IDColour, flags: 0},
	IDPrimaryRChromaticityX:       {name: "PrimaryRChromaticityX", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDPrimaryRChromaticityY:       {name: "PrimaryRChromaticityY", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDPrimaryGChromaticityX:       {name: "PrimaryGChromaticityX", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDPrimaryGChromaticityY:       {name: "PrimaryGChromaticityY", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDPrimaryBChromaticityX:       {name: "PrimaryBChromaticityX", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDPrimaryBChromaticityY:       {name: "PrimaryBChromaticityY", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDWhitePointChromaticityX:     {name: "WhitePointChromaticityX", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDWhitePointChromaticityY:     {name: "WhitePointChromaticityY", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDLuminanceMax:                {name: "LuminanceMax", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDLuminanceMin:                {name: "LuminanceMin", typ: TypeFloat, parent: IDMasteringMetadata, flags: 0},
	IDProjection:                  {name: "Projection", typ: TypeMaster, parent: IDVideo, flags: 0},
	IDProjectionType:              {name: "ProjectionType", typ: TypeUinteger, parent: IDProjection, flags: 0},
	IDProjectionPrivate:           {name: "ProjectionPrivate", typ: TypeBinary, parent: IDProjection, flags: 0},
	IDProjectionPoseYaw:           {name: "ProjectionPoseYaw", typ: TypeFloat, parent: IDProjection, flags: 0},
	IDProjectionPosePitch:         {name: "ProjectionPosePitch", typ: TypeFloat, parent: IDProjection, flags: 0},
	IDProjectionPoseRoll:          {name: "ProjectionPoseRoll", typ: TypeFloat, parent: IDProjection, flags: 0},
	IDAudio:                       {name: "Audio", typ: TypeMaster, parent: IDTrackEntry, flags: 0},
	IDSamplingFrequency:           {name: "SamplingFrequency", typ: TypeFloat, parent: IDAudio, flags: 0},
	IDOutputSamplingFrequency:     {name: "OutputSamplingFrequency", typ: TypeFloat, parent: IDAudio, flags: 0},
	IDChannels:                    {name: "Channels", typ: TypeUinteger, parent: IDAudio, flags: 0},
	IDChannelPositions:            {name: "ChannelPositions", typ: TypeBinary, parent: IDAudio, flags: 0},
	IDBitDepth:                    {name: "BitDepth", typ: TypeUinteger, parent: IDAudio, flags: 0},
	IDEmphasis:                    {name: "Emphasis", typ: TypeUinteger, parent: IDAudio, flags: 0},
	IDTrackOperation:              {name: "TrackOperation", typ: TypeMaster, parent: IDTrackEntry, flags: 0},
	IDTrackCombinePlanes:          {name: "TrackCombinePlanes", typ: TypeMaster, parent: IDTrackOperation, flags: 0},
	IDTrackPlane:                  {name: "TrackPlane", typ: TypeMaster, parent: IDTrackCombinePlanes, flags: 0},
	IDTrackPlaneUID:               {name: "TrackPlaneUID", typ: TypeUinteger, parent: IDTrackPlane, flags: 0},
	IDTrackPlaneType:              {name: "TrackPlaneType", typ: TypeUinteger, parent: IDTrackPlane, flags: 0},
	IDTrackJoinBlocks:             {name: "TrackJoinBlocks", typ: TypeMaster, parent: IDTrackOperation, flags: 0},
	IDTrackJoinUID:                {name: "TrackJoinUID", typ: TypeUinteger, parent: IDTrackJoinBlocks, flags: 0},
	IDTrickTrackUID:               {name: "TrickTrackUID", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDTrickTrackSegmentUID:        {name: "TrickTrackSegmentUID", typ: TypeBinary, parent: IDTrackEntry, flags: 0},
	IDTrickTrackFlag:              {name: "TrickTrackFlag", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDTrickMasterTrackUID:         {name: "TrickMasterTrackUID", typ: TypeUinteger, parent: IDTrackEntry, flags: 0},
	IDTrickMasterTrackSegmentUID:  {name: "TrickMasterTrackSegmentUID", typ: TypeBinary, parent: IDTrackEntry, flags: 0},
	IDContentEncodings:            {name: "ContentEncodings", typ: TypeMaster, parent: IDTrackEntry, flags: 0},
	IDContentEncoding:             {name: "ContentEncoding", typ: TypeMaster, parent: IDContentEncodings, flags: 0},
	IDContentEncodingOrder:        {name: "ContentEncodingOrder", typ: TypeUinteger, parent: IDContentEncoding, flags: 0},
	IDContentEncodingScope:        {name: "ContentEncodingScope", typ: TypeUinteger, parent: IDContentEncoding, flags: 0},
	IDContentEncodingType:         {name: "ContentEncodingType", typ: TypeUinteger, parent: IDContentEncoding, flags: 0},
	IDContentCompression:          {name: "ContentCompression", typ: TypeMaster, parent: IDContentEncoding, flags: 0},
	IDContentCompAlgo:             {name: "ContentCompAlgo", typ: TypeUinteger, parent: IDContentCompression, flags: 0},
	IDContentCompSettings:         {name: "ContentCompSettings", typ: TypeBinary, parent: IDContentCompression, flags: 0},
	IDContentEncryption:           {name: "ContentEncryption", typ: TypeMaster, parent: IDContentEncoding, flags: 0},
	IDContentEncAlgo:              {name: "ContentEncAlgo", typ: TypeUinteger, parent: IDContentEncryption, flags: 0},
	IDContentEncKeyID:             {name: "ContentEncKeyID", typ: TypeBinary, parent: IDContentEncryption, flags: 0},
	IDContentEncAESSettings:       {name: "ContentEncAESSettings", typ: TypeMaster, parent: IDContentEncryption, flags: 0},
	IDAESSettingsCipherMode:       {name: "AESSettingsCipherMode", typ: TypeUinteger, parent: IDContentEncAESSettings, flags: 0},
	IDContentSignature:            {name: "ContentSignature", typ: TypeBinary, parent: IDContentEncryption, flags: 0},
	IDContentSigKeyID:             {name: "ContentSigKeyID", typ: TypeBinary, parent: IDContentEncryption, flags: 0},
	IDContentSigAlgo:              {name: "ContentSigAlgo", typ: TypeUinteger, parent: IDContentEncryption, flags: 0},
	IDContentSigHashAlgo:          {name: "ContentSigHashAlgo", typ: TypeUinteger, parent: IDContentEncryption, flags: 0},
	IDCues:                        {name: "Cues", typ: TypeMaster, parent: IDSegment, flags: 0},
	IDCuePoint:                    {name: "CuePoint", typ: TypeMaster, parent: IDCues, flags: 0},
	IDCueTime:                     {name: "CueTime", typ: TypeUinteger, parent: IDCuePoint, flags: 0},
	IDCueTrackPositions:           {name: "CueTrackPositions", typ: TypeMaster, parent: IDCuePoint, flags: 0},
	IDCueTrack:                    {name: "CueTrack", typ: TypeUinteger, parent: IDCueTrackPositions, flags: 0},
	IDCueClusterPosition:          {name: "CueClusterPosition", typ: TypeUinteger, parent: IDCueTrackPositions, flags: 0},
	IDCueRelativePosition:         {name: "CueRelativePosition", typ: TypeUinteger, parent: IDCueTrackPositions, flags: 0},
	IDCueDuration:                 {name: "CueDuration", typ: TypeUinteger, parent: IDCueTrackPositions, flags: 0},
	IDCueBlockNumber:              {name: "CueBlockNumber", typ: TypeUinteger, parent: IDCueTrackPositions, flags: 0},
	IDCueCodecState:               {name: "CueCodecState", typ: TypeUinteger, parent: IDCueTrackPositions, flags: 0},
	IDCueReference:                {name: "CueReference", typ: TypeMaster, parent: IDCueTrackPositions, flags: 0},
	IDCueRefTime:                  {name: "CueRefTime", typ: TypeUinteger, parent: IDCueReference, flags: 0},
	IDCueRefCluster:               {name: "CueRefCluster", typ: TypeUinteger, parent: IDCueReference, flags: 0},
	IDCueRefNumber:                {name: "CueRefNumber", typ: TypeUinteger, parent: IDCueReference, flags: 0},
	IDCueRefCodecState:            {name: "CueRefCodecState", typ: TypeUinteger, parent: IDCueReference, flags: 0},
	IDAttachments:                 {name: "Attachments", typ: TypeMaster, parent: IDSegment, flags: 0},
	IDAttachedFile:                {name: "AttachedFile", typ: TypeMaster, parent: IDAttachments, flags: 0},
	IDFileDescription:             {name: "FileDescription", typ: TypeUTF8, parent: IDAttachedFile, flags: 0},
	IDFileName:                    {name: "FileName", typ: TypeUTF8, parent: IDAttachedFile, flags: 0},
	IDFileMediaType:               {name: "FileMediaType", typ: TypeString, parent: IDAttachedFile, flags: 0},
	IDFileData:                    {name: "FileData", typ: TypeBinary, parent: IDAttachedFile, flags: 0},
	IDFileUID:                     {name: "FileUID", typ: TypeUinteger, parent: IDAttachedFile, flags: 0},
	IDFileReferral:                {name: "FileReferral", typ: TypeBinary, parent: IDAttachedFile, flags: 0},
	IDFileUsedStartTime:           {name: "FileUsedStartTime", typ: TypeUinteger, parent: IDAttachedFile, flags: 0},
	IDFileUsedEndTime:             {name: "FileUsedEndTime", typ: TypeUinteger, parent: IDAttachedFile, flags: 0},
	IDChapters:                    {name: "Chapters", typ: TypeMaster, parent: IDSegment, flags: 0},
	IDEditionEntry:                {name: "EditionEntry", typ: TypeMaster, parent: IDChapters, flags: 0},
	IDEditionUID:                  {name: "EditionUID", typ: TypeUinteger, parent: IDEditionEntry, flags: 0},
	IDEditionFlagHidden:           {name: "EditionFlagHidden", typ: TypeUinteger, parent: IDEditionEntry, flags: 0},
	IDEditionFlagDefault:          {name: "EditionFlagDefault", typ: TypeUinteger, parent: IDEditionEntry, flags: 0},
	IDEditionFlagOrdered:          {name: "EditionFlagOrdered", typ: TypeUinteger, parent: IDEditionEntry, flags: 0},
	IDEditionDisplay:              {name: "EditionDisplay", typ: TypeMaster, parent: IDEditionEntry, flags: 0},
	IDEditionString:               {name: "EditionString", typ: TypeUTF8, parent: IDEditionDisplay, flags: 0},
	IDEditionLanguageIETF:         {name: "EditionLanguageIETF", typ: TypeString, parent: IDEditionDisplay, flags: 0},
	IDChapterAtom:                 {name: "ChapterAtom", typ: TypeMaster, parent: IDEditionEntry, flags: flagRecursive},
	IDChapterUID:                  {name: "ChapterUID", typ: TypeUinteger, parent: IDChapterAtom, flags: 0},
	IDChapterStringUID:            {name: "ChapterStringUID", typ: TypeUTF8, parent: IDChapterAtom, flags: 0},
	IDChapterTimeStart:            {name: "ChapterTimeStart", typ: TypeUinteger, parent: IDChapterAtom, flags: 0},
	IDChapterTimeEnd:              {name: "ChapterTimeEnd", typ: TypeUinteger, parent: IDChapterAtom, flags: 0},
	IDChapterFlagHidden:           {name: "ChapterFlagHidden", typ: TypeUinteger, parent: IDChapterAtom, flags: 0},
	IDChapterFlagEnabled:          {name: "ChapterFlagEnabled", typ: TypeUinteger, parent: IDChapterAtom, flags: 0},
	IDChapterSegmentUUID:          {name: "ChapterSegmentUUID", typ: TypeBinary, parent: IDChapterAtom, flags: 0},
	IDChapterSkipType:             {name: "ChapterSkipType", typ: TypeUinteger, parent: IDChapterAtom, flags: 0},
	IDChapterSegmentEditionUID:    {name: "ChapterSegmentEditionUID", typ: TypeUinteger, parent: IDChapterAtom, flags: 0},
	IDChapterPhysicalEquiv:        {name: "ChapterPhysicalEquiv", typ: TypeUinteger, parent: IDChapterAtom, flags: 0},
	IDChapterTrack:                {name: "ChapterTrack", typ: TypeMaster, parent: IDChapterAtom, flags: 0},
	IDChapterTrackUID:             {name: "ChapterTrackUID", typ: TypeUinteger, parent: IDChapterTrack, flags: 0},
	IDChapterDisplay:              {name: "ChapterDisplay", typ: TypeMaster, parent: IDChapterAtom, flags: 0},
	IDChapString:                  {name: "ChapString", typ: TypeUTF8, parent: IDChapterDisplay, flags: 0},
	IDChapLanguage:                {name: "ChapLanguage", typ: TypeString, parent: IDChapterDisplay, flags: 0},
	IDChapLanguageBCP47:           {name: "ChapLanguageBCP47", typ: TypeString, parent: IDChapterDisplay, flags: 0},
	IDChapCountry:                 {name: "ChapCountry", typ: TypeString, parent: IDChapterDisplay, flags: 0},
	IDChapProcess:                 {name: "ChapProcess", typ: TypeMaster, parent: IDChapterAtom, flags: 0},
	IDChapProcessCodecID:          {name: "ChapProcessCodecID", typ: TypeUinteger, parent: IDChapProcess, flags: 0},
	IDChapProcessPrivate:          {name: "ChapProcessPrivate", typ: TypeBinary, parent: IDChapProcess, flags: 0},
	IDChapProcessCommand:          {name: "ChapProcessCommand", typ: TypeMaster, parent: IDChapProcess, flags: 0},
	IDChapProcessTime:             {name: "ChapProcessTime", typ: TypeUinteger, parent: IDChapProcessCommand, flags: 0},
	IDChapProcessData:             {name: "ChapProcessData", typ: TypeBinary, parent: IDChapProcessCommand, flags: 0},
	IDTags:                        {name: "Tags", typ: TypeMaster, parent: IDSegment, flags: 0},
	IDTag:                         {name: "Tag", typ: TypeMaster, parent: IDTags, flags: 0},
	IDTargets:                     {name: "Targets", typ: TypeMaster, parent: IDTag, flags: 0},
	IDTargetTypeValue:             {name: "TargetTypeValue", typ: TypeUinteger, parent: IDTargets, flags: 0},
	IDTargetType:                  {name: "TargetType", typ: TypeString, parent: IDTargets, flags: 0},
	IDTagTrackUID:                 {name: "TagTrackUID", typ: TypeUinteger, parent: IDTargets, flags: 0},
	IDTagEditionUID:               {name: "TagEditionUID", typ: TypeUinteger, parent: IDTargets, flags: 0},
	IDTagChapterUID:               {name: "TagChapterUID", typ: TypeUinteger, parent: IDTargets, flags: 0},
	IDTagAttachmentUID:            {name: "TagAttachmentUID", typ: TypeUinteger, parent: IDTargets, flags: 0},
	IDTagBlockAddIDValue:          {name: "TagBlockAddIDValue", typ: TypeUinteger, parent: IDTargets, flags: 0},
	IDSimpleTag:                   {name: "SimpleTag", typ: TypeMaster, parent: IDTag, flags: flagRecursive},
	IDTagName:                     {name: "TagName", typ: TypeUTF8, parent: IDSimpleTag, flags: 0},
	IDTagLanguage:                 {name: "TagLanguage", typ: TypeString, parent: IDSimpleTag, flags: 0},
	IDTagLanguageBCP47:            {name: "TagLanguageBCP47", typ: TypeString, parent: IDSimpleTag, flags: 0},
	IDTagDefault:                  {name: "TagDefault", typ: TypeUinteger, parent: IDSimpleTag, flags: 0},
	IDTagDefaultBogus:             {name: "TagDefaultBogus", typ: TypeUinteger, parent: IDSimpleTag, flags: 0},
	IDTagString:                   {name: "TagString", typ: TypeUTF8, parent: IDSimpleTag, flags: 0},
	IDTagBinary:                   {name: "TagBinary", typ: TypeBinary, parent: IDSimpleTag, flags: 0},
}
